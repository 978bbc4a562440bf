"""The fuzzer (tools/fuzz, docs/fuzz.md): its short run finds nothing wrong, on SQLite and on
PostgreSQL, and the checks it relies on do fail when the door's file is tampered with.

The short run is what CI runs on every push: 2,000 hostile scans through the scanners and the
door, 400 hostile requests at every route of a real `kiosk-server serve`, a burst of sign-ins.
"""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, local
from tools.fuzz.door import Action, DoorUnderTest
from tools.fuzz.pages import PageRequests, routes
from tools.fuzz.protocol import KioskRequests
from tools.fuzz.request_fuzzer import crash_signature
from tools.fuzz.scanners import ScannerKinds
from tools.fuzz.scans import ScanFuzzer
from tools.fuzz.sending import Response
from tools.fuzz.server import School
from tools.fuzz.tally import Tally
from tools.fuzz.texts import SchoolCodes

MUST_BE_ZERO = (
    "crashes (exceptions escaping)",
    "hangs",
    "unintended changes",
    "server errors (5xx)",
    "server process deaths",
    "broken invariants",
    "pages answered to the wrong person",
)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_short_fuzz_run_finds_no_crash_hang_change_or_server_error(
    database: str, tmp_path: Path
) -> None:
    argv = [sys.executable, "-m", "tools.fuzz", "--short", "--seed", "1", "--db", database]
    if database == "postgresql":
        argv += ["--scans", "0"]  # the scans never reach the server: once is enough
    result = subprocess.run(
        [*argv, "--dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=880,
    )
    report = result.stdout + result.stderr
    summary = report[report.rfind("== Summary ==") :]
    assert "== Summary ==" in summary, report[-4000:]
    not_zero = [row for row in MUST_BE_ZERO if not re.search(rf"{re.escape(row)}\s+0\s", summary)]
    assert not not_zero, f"{not_zero}:\n{report[report.find('== Failures') :][-20000:]}"
    assert result.returncode == 0, report[-12000:]


START = local("2026-11-23 12:12")  # a Monday lunchtime window of the sample school


def test_a_loan_written_behind_the_door_is_reported(tmp_path: Path) -> None:
    door = DoorUnderTest(tmp_path / "kiosk.db", START)
    try:
        assert door.do(Action("scan", "202430101")) == []
        with sqlite3.connect(tmp_path / "kiosk.db") as conn:  # not through the journal
            conn.execute(
                "INSERT INTO loans (barcode, card, borrowed_at, due, event_seq) "
                "VALUES ('0001003', '202430101', '2026-11-23T04:12:00+00:00', '2026-12-07', 1)"
            )
        problems = door.do(Action("scan", "' OR 1=1 --"))
    finally:
        door.close()
    assert [p.signature for p in problems] == ["loan table differs from the journal's projection"]


def test_a_journal_event_edited_in_the_file_is_reported(tmp_path: Path) -> None:
    door = DoorUnderTest(tmp_path / "kiosk.db", START)
    try:
        assert door.do(Action("scan", "no such code")) == []
        assert door.full_check() == []
        with sqlite3.connect(tmp_path / "kiosk.db") as conn:
            conn.execute("DROP TRIGGER events_no_update")
            conn.execute("UPDATE events SET code = 'edited' WHERE type = 'refusal'")
        problems = door.full_check()
    finally:
        door.close()
    assert "hash chain broken" in [p.signature for p in problems]


def test_the_same_seed_makes_the_same_scans_and_requests() -> None:
    def scans(seed: int) -> list[Action]:
        fuzzer = ScanFuzzer(seed, Tally())
        rng = random.Random(seed)
        return list(fuzzer._actions(rng, ScannerKinds(rng, Tally()), 300))

    def requests(seed: int) -> list[tuple[str, str, str, bytes | None]]:
        rng = random.Random(seed)
        tokens = {name: f"token-of-{name}" for name in ("door-1", "door-2", "door-3")}
        school = School(tokens, ["202430101", "T0001"], ["0001002", "0001003"])
        kiosk = KioskRequests(rng, school, SchoolCodes.sample())
        pages = PageRequests(rng, school, SchoolCodes.sample(), routes())
        made = [kiosk.next() if n % 2 else pages.next() for n in range(200)]
        # Times follow the clock (the server judges them by its own), and so do the hashes.
        return [(r.route, r.path, r.note, _timeless(r.body)) for r in made]

    assert scans(7) == scans(7)
    assert scans(7) != scans(8)
    assert requests(7) == requests(7)
    assert requests(7) != requests(8)


def _timeless(body: bytes | None) -> bytes | None:
    if body is None:
        return None
    timeless = re.sub(rb'"[0-9:.T-]{19,32}\+00:00"', b'"TIME"', body)
    return re.sub(rb'"[0-9a-f]{64}"', b'"HASH"', timeless)  # hashes cover the times


def test_a_server_error_is_named_by_its_exception_and_the_last_frame_of_our_code() -> None:
    log = (
        "ERROR:    page /events failed\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/library/sync/server/web/today.py", line 54, in day_bounds\n'
        "    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)\n"
        '  File "/venv/lib/python3.11/site-packages/sqlalchemy/sql/type_api.py", line 9, in x\n'
        "    return fixed_process_param(value, dialect)\n"
        "sqlalchemy.exc.StatementError: (builtins.OverflowError) date value out of range\n"
        "[SQL: SELECT 1]\n"
    )
    signature, trace = crash_signature(log, Response(500, 0.1))
    assert signature == "StatementError (OverflowError) at web/today.py:54"
    assert "date value out of range" in trace
    assert crash_signature("", Response(0, 0.1, error="answer cut off"))[0] == (
        "no traceback, answer cut off"
    )


def test_every_route_of_the_server_is_aimed_at() -> None:
    found = {r.key for r in routes()}
    assert {"POST /v1/push", "GET /events", "POST /signin", "GET /static/{file}"} <= found
    static = next(r for r in routes() if r.key == "GET /static/{file}")
    assert static.files  # the real file names, not only junk ones
