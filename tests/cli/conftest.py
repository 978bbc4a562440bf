"""The `kiosk` command in-process on real files: a runner, a kiosk with the example school."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.conftest import EXAMPLES

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return _run


@pytest.fixture
def db(tmp_path: Path, run: Run) -> Path:
    path = tmp_path / "kiosk.db"
    assert run("init", "--db", path, "--kiosk-id", "door-1")[0] == 0
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        status, _out, err = run("import", kind, EXAMPLES / name, "--db", path)
        assert status == 0, err
    return path


def scan_json(run: Run, db: Path, at: str, *codes: str) -> list[dict[str, object]]:
    status, out, err = run("scan", "--db", db, "--at", at, "--json", *codes)
    assert status == 0, err
    return [json.loads(line) for line in out.splitlines()]
