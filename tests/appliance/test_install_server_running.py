"""deploy/install-server.sh on a running system (tests/appliance/running_system.py's stand-in):
the server is started once, and a second run with the same arguments does not restart it (the
kiosks' pushes and the librarian's pages carry on); an upgrade does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.appliance.conftest import copy_checkout, fresh_pi, need_tools, scratch_dir
from tests.appliance.running_system import WHEELS, RunningPi

# A module's first test pays for its fixture's installer runs, each building a real virtualenv:
# on two cores shared with other work that is more than the suite's 120 s.
pytestmark = pytest.mark.timeout(900)
UNIT = "library-server.service"
ACTIONS = ("daemon-reload", "restart", "start", "stop")


def actions(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("systemctl ") and c.split()[1] in ACTIONS]


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, tuple[CompletedProcess[str], list[str]]]]:
    need_tools()
    base = scratch_dir("server-running-")
    (base / "root").mkdir(mode=0o755)
    machine = RunningPi.prepare(fresh_pi(base / "root", hostname="libsrv"), base / "local")
    checkout = copy_checkout(base / "src")
    found: dict[str, tuple[CompletedProcess[str], list[str]]] = {}

    def run(stage: str, src: Path) -> None:
        machine.forget_calls()
        done = machine.install(src, "--wheelhouse", WHEELS, script="install-server.sh")
        found[stage] = (done, machine.calls())

    run("first", checkout)
    run("second", checkout)
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    run("upgrade", checkout)
    yield found
    shutil.rmtree(base)


def test_the_first_run_starts_the_server(
    runs: dict[str, tuple[CompletedProcess[str], list[str]]],
) -> None:
    done, calls = runs["first"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert actions(calls) == ["systemctl daemon-reload", f"systemctl start {UNIT}"]


def test_a_second_run_restarts_nothing(
    runs: dict[str, tuple[CompletedProcess[str], list[str]]],
) -> None:
    done, calls = runs["second"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert actions(calls) == []


def test_an_upgrade_restarts_the_server_on_the_new_release(
    runs: dict[str, tuple[CompletedProcess[str], list[str]]],
) -> None:
    done, calls = runs["upgrade"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert actions(calls) == [f"systemctl restart {UNIT}"]
    assert f"restarted {UNIT}: release 0.1.1-" in done.stdout
