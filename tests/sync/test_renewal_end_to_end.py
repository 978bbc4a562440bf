"""Renewal (续借) end to end: the real `kiosk-server serve` process on 127.0.0.1 over SQLite and
PostgreSQL, real `kiosk` commands on real SQLite files. A book lent at door A is renewed at door
B; the renewal reaches the server once, the server's loan takes the new due date, door A learns
it, and the policy's one renewal holds across doors."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from sync.server.db import engine_for
from sync.server.tables import loans
from tests.sync.processes import kiosk
from tests.sync.test_end_to_end import (  # noqa: F401 (the fixture, used by name)
    MONDAY,
    PUPIL_A,
    School,
    journal,
    scan,
    school,
)

BOOK = "0001002"


def _loans(db: Path) -> list[dict[str, object]]:
    done = kiosk("loans", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_renewal_at_another_door_reaches_the_server_once_and_every_door(
    school: School,  # noqa: F811
) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, BOOK, "@done")  # due Monday 7 December
    assert school.sync(a, a_token).returncode == 0
    assert school.sync(b, b_token).returncode == 0

    renewed = scan(b, "2026-11-30T12:15", PUPIL_A, BOOK, "@done")
    assert [(d["outcome"], d.get("due")) for d in renewed][:2] == [
        ("session_started", None),
        ("renewed", "2026-12-14"),
    ]
    assert renewed[1]["message"] == "续借好了！《小王子》请在12月14日前还回来。"
    assert _loans(b)[0]["due"] == "2026-12-14" and _loans(b)[0]["renewals"] == 1
    done = school.sync(b, b_token)
    assert done.returncode == 0, done.stderr
    assert "0 event(s) sent, 0 already on the server" in school.sync(b, b_token).stdout
    on_server = [e for e in school.export() if e["type"] == "renewal"]
    assert on_server == [e for e in journal(b) if e["type"] == "renewal"]
    assert len(on_server) == 1

    # The server's loan takes the new due date; door A, which lent it, hears so.
    engine = engine_for(school.db)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(loans).where(loans.c.barcode == BOOK)).one()
    finally:
        engine.dispose()
    assert (row.on_loan, row.card, row.due) == (True, PUPIL_A, "2026-12-14")
    assert school.sync(a, a_token).returncode == 0
    [at_a] = _loans(a)
    assert (at_a["due"], at_a["renewals"]) == ("2026-12-14", 1)
    # One renewal is the policy's: door A refuses a second one, counted at door B.
    again = scan(a, "2026-12-07T12:15", PUPIL_A, BOOK, "@done")
    assert (again[1]["outcome"], again[1]["reason"]) == ("refused", "renewals_used")
    assert school.review() == []
    assert kiosk("doctor", "--db", a).returncode == 0
    assert kiosk("doctor", "--db", b).returncode == 0
