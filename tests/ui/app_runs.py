"""Run the real app under Xvfb, one app per subprocess, driven by a script; read what it showed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.commands.run import sample_school
from kiosk.config import hash_pin
from kiosk.store import Store
from tests.conftest import REPO

KIOSK = Path(sys.executable).with_name("kiosk")
ARTIFACTS = REPO / ".artifacts" / "screenshots" / "kiosk"
PIN = "2468"
LIBRARIAN = "T0002"  # 丁老师 of the sample roster, listed as a librarian card
HELPER = "H0001"
MONDAY_LUNCH = "2026-11-23T12:15"


def config_text(db: Path) -> str:
    pin_hash = hash_pin(PIN, salt=b"kiosk-ui-tests!!")
    return f"""
[kiosk]
database = "{db}"
[admin]
pin_hash = "{pin_hash}"
librarian_cards = ["{LIBRARIAN}"]
[helpers]
cards = ["{HELPER}"]
[idle]
new_arrivals = ["0001016", "0001017", "0001019"]
"""


@dataclass
class Run:
    status: int
    stderr: str
    shots: list[dict[str, Any]]
    folder: Path
    db: Path

    def screen(self, line: int) -> str:
        return str(self.shots[line - 1]["screen"])

    def texts(self, line: int) -> list[str]:
        return list(self.shots[line - 1]["texts"])

    def text(self, line: int) -> str:
        return " | ".join(self.texts(line))

    def events(self) -> list[tuple[str, str]]:
        with Store(self.db) as store:
            return [(e.event.type.value, e.event.reason.value) for e in store.events()]


def school(tmp: Path) -> tuple[Path, Path]:
    db = sample_school(tmp / "kiosk.db")
    config = tmp / "kiosk.toml"
    config.write_text(config_text(db), encoding="utf-8")
    return db, config


def run_app(
    tmp: Path,
    script: str,
    *,
    lang: str = "zh_CN",
    size: str = "800x480",
    shots: Path | None = None,
    at: str = MONDAY_LUNCH,
    env: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
    db: Path | None = None,
) -> Run:
    """``kiosk run --script`` under ``xvfb-run`` with the sample school; the shots it saved."""
    sample_db, config = school(tmp) if db is None else (db, None)
    script_file = tmp / "test.script"
    script_file.write_text(script, encoding="utf-8")
    folder = shots if shots is not None else tmp / "shots"
    if folder.exists():
        shutil.rmtree(folder)
    width, height = size.split("x")
    args = [str(KIOSK), "run", "--script", str(script_file), "--shots", str(folder)]
    args += ["--at", at, "--lang", lang, "--size", size, *extra]
    args += ["--config", str(config)] if config is not None else ["--db", str(sample_db)]
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {width}x{height}x24", *args]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=tmp,
        env={**os.environ, **(env or {})},
    )
    found = sorted(folder.glob("*.json")) if folder.exists() else []
    return Run(
        result.returncode,
        result.stderr,
        [json.loads(p.read_text(encoding="utf-8")) for p in found],
        folder,
        sample_db,
    )
