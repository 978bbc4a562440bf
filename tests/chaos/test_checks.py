"""The chaos run's checks find what they promise: a lost, doubled or changed event, a loan the
server holds against the true order, a kiosk that disagrees (a check that cannot fail would let
the CI run pass whatever the product did). Events are a real kiosk's, journaled by `kiosk scan`.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.clocks import SIMULATED_CLOCK_VARIABLE, SimulatedSetting
from tests.conftest import SAMPLE, local
from tests.sync.processes import BIN
from tools.chaos import checks
from tools.chaos.ledger import Ledger, Wire

PUPIL, BOOK = "202430101", "0001002"  # 3-1 borrows on Monday lunchtime


def _kiosk(*argv: str | Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [str(BIN / "kiosk"), *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr


def _at(clock: Path, moment: datetime) -> dict[str, str]:
    """The environment of a kiosk whose synchronised clock reads ``moment`` now."""
    SimulatedSetting(moment.timestamp() - time.time(), 0.0, True, "boot-1").write(clock)
    return {**os.environ, SIMULATED_CLOCK_VARIABLE: str(clock)}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """A lunchtime at door-1: a pupil borrows a book, later brings it back and borrows it again."""
    folder = tmp_path_factory.mktemp("chaos")
    db, clock = folder / "door-1.db", folder / "clock.json"
    _kiosk("init", "--db", db, "--kiosk-id", "door-1")
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        _kiosk("import", kind, SAMPLE / name, "--db", db)
    _kiosk("scan", "--db", db, PUPIL, BOOK, "@done", env=_at(clock, local("2026-11-23 12:15")))
    back_and_again = (BOOK, "@wait=5", PUPIL, BOOK, "@done")  # past the double-read window
    _kiosk("scan", "--db", db, *back_and_again, env=_at(clock, local("2026-11-23 12:20")))
    found = Ledger()
    found.observe("door-1", db, clock_right=True, visit=0)
    return found


def _rows(found: list[checks.Check]) -> dict[str, int]:
    return {c.name.split(":")[0]: c.found for c in found}


def test_a_server_holding_every_event_as_journaled_passes(ledger: Ledger) -> None:
    found, lost = checks.on_the_server(ledger, ledger.in_order())
    assert all(c.ok for c in found) and not lost.ids


def test_a_lost_a_changed_and_a_doubled_event_are_each_found(ledger: Ledger) -> None:
    events = ledger.in_order()
    checkout = next(e for e in events if e["type"] == "checkout")
    server: list[Wire] = [e for e in events if e is not checkout]  # lost
    server = [{**e, "due": "2027-01-22"} if e["type"] == "return" else e for e in server]
    again = {**events[0], "id": str(uuid.uuid4()), "seq": 99}  # the same decision, stored twice
    found, lost = checks.on_the_server(ledger, [*server, again])
    rows = _rows(found)
    assert (rows["lost"], rows["changed"], rows["doubled"]) == (1, 1, 1)
    assert lost.ids == {checkout["id"]} and lost.copies == {BOOK}
    lost_line, changed_line = found[0].problems[0], found[2].problems[0]
    assert lost_line.startswith(f"door-1 #{checkout['seq']}: 1 (checkout 1)")
    assert changed_line.endswith("due differ")


def test_an_event_kept_under_a_new_number_is_not_lost(ledger: Ledger) -> None:
    events = ledger.in_order()
    renumbered = [{**e, "id": str(uuid.uuid4()), "seq": e["seq"] + 100} for e in events]
    found, lost = checks.on_the_server(ledger, renumbered)
    rows = _rows(found)
    assert rows["lost"] == 0 and rows["kept under a new number or id (after a restore)"] == len(
        events
    )
    assert not lost.ids


def _loan(card: str | None) -> dict[str, Any]:
    return {"on_loan": card is not None, "card": card, "due": "2026-12-11"}


def test_a_server_loan_against_the_true_order_and_a_kiosk_that_disagrees_are_found(
    ledger: Ledger,
) -> None:
    truth = checks.true_history(ledger)
    nothing_lost = checks.Lost(frozenset(), frozenset())
    right, _ = checks.in_true_order(
        truth, {BOOK: _loan(PUPIL)}, nothing_lost, checks.consequences()
    )
    assert right.ok  # lent, returned, lent again: on loan to the pupil
    after = checks.consequences()
    wrong, _ = checks.in_true_order(truth, {BOOK: _loan(None)}, nothing_lost, after)
    assert wrong.problems == [f"{BOOK}: truly on loan to {PUPIL}, server on the shelf"]
    kiosk = {"barcode": BOOK, "reader": PUPIL, "due": "2026-12-11"}
    agree = checks.kiosks_agree({BOOK: _loan(PUPIL)}, {"door-1": [kiosk]}, nothing_lost, after)
    assert agree.ok
    differ = checks.kiosks_agree({BOOK: _loan(None)}, {"door-1": [kiosk]}, nothing_lost, after)
    assert differ.found == 1 and not after.problems
    # A copy a lost event touched: reported once, as that loss's consequence, not failed again.
    touched = checks.Lost(frozenset({"x"}), frozenset({BOOK}))
    again = checks.kiosks_agree({BOOK: _loan(None)}, {"door-1": [kiosk]}, touched, after)
    assert again.ok and len(after.problems) == 1
