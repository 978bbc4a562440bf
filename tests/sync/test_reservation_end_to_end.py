"""Reservations (预约) end to end: the real `kiosk-server serve` process on 127.0.0.1 over SQLite
and PostgreSQL, real `kiosk` commands on real SQLite files. A teacher's reservation placed on the
server reaches the doors, is readied by a return at another door than the one that lent the copy,
refused to a child, collected by her card; and what offline doors get wrong lands in the inbox."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from sync.server.db import engine_for
from sync.server.tables import reservations
from tests.sync.test_end_to_end import (  # noqa: F401 (the fixture, used by name)
    MONDAY,
    PUPIL_A,
    PUPIL_B,
    PUPIL_C,
    School,
    scan,
    school,
    server_command,
)

TEACHER = "T0001"
GRASS_HOUSE, GRASS_HOUSE_ISBN = "0001005", "9787598386754"  # 草房子


def _reservations(school: School) -> list[dict[str, object]]:  # noqa: F811
    """As the server keeps them (`kiosk-server reservations` would show a hold of these 2026
    dates as expired by today's date)."""
    done = server_command("reservations", "--db", school.db, "--json")
    assert done.returncode == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    engine = engine_for(school.db)
    try:
        with engine.connect() as conn:
            stored = {r.id: r.state for r in conn.execute(select(reservations))}
    finally:
        engine.dispose()
    return [{**r, "state": stored[r["id"]]} for r in listed]


def _reserve(school: School, *how: str) -> None:  # noqa: F811
    done = server_command("reserve", TEACHER, *how, "--db", school.db)
    assert done.returncode == 0, done.stderr


def test_a_reservation_is_readied_at_any_door_refused_to_others_and_collected(
    school: School,  # noqa: F811
) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, GRASS_HOUSE, "@done")
    assert school.sync(a, a_token).returncode == 0
    _reserve(school, "--isbn", GRASS_HOUSE_ISBN)
    assert school.sync(b, b_token).returncode == 0

    [back] = scan(b, "2026-11-23T12:40", GRASS_HOUSE)
    assert back["message_key"] == "returned.reserved"
    assert back["message"] == "这本书有人预约了，请放到预约书架上"
    done = school.sync(b, b_token)
    assert done.returncode == 0, done.stderr
    [ready] = _reservations(school)
    assert (ready["state"], ready["ready_barcode"], ready["ready_until"]) == (
        "ready", GRASS_HOUSE, "2026-12-02",
    )  # fmt: skip

    # Door A, which lent it, hears of the return and the reservation with its next pull.
    assert school.sync(a, a_token).returncode == 0
    refused = scan(a, "2026-11-23T12:45", PUPIL_B, GRASS_HOUSE, "@done")
    assert (refused[1]["outcome"], refused[1]["reason"]) == ("refused", "held_for_other")
    assert refused[1]["message"].startswith("这本书是给别人留的")
    assert "reserved" not in refused[0].get("params", {})
    collected = scan(a, "2026-11-24T08:00", TEACHER, GRASS_HOUSE, "@done")
    assert collected[0]["params"]["reserved"] == "草房子"
    assert collected[1]["outcome"] == "borrowed"
    assert school.sync(a, a_token).returncode == 0
    assert [r["state"] for r in _reservations(school)] == ["collected"]
    assert school.review() == []


def test_a_door_that_had_not_heard_lends_the_held_copy_and_the_inbox_says_so(
    school: School,  # noqa: F811
) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, GRASS_HOUSE, "@done")
    assert school.sync(a, a_token).returncode == 0
    _reserve(school, "--barcode", GRASS_HOUSE)
    assert school.sync(b, b_token).returncode == 0
    scan(b, "2026-11-23T12:30", GRASS_HOUSE)  # held for the teacher at door B
    assert school.sync(b, b_token).returncode == 0
    # Door A, offline since, knows nothing of it: a child borrows it there.
    lent = scan(a, "2026-11-23T12:40", PUPIL_B, GRASS_HOUSE, "@done")
    assert lent[1]["outcome"] == "borrowed"
    assert school.sync(a, a_token).returncode == 0
    [waiting] = _reservations(school)
    assert (waiting["state"], waiting["ready_barcode"]) == ("waiting", None)
    [item] = [i for i in school.review() if i["kind"] == "reserved_copy_lent"]
    assert (item["barcode"], item["card"], item["kiosk"]) == (GRASS_HOUSE, PUPIL_B, "door-a")


def test_two_doors_holding_a_copy_each_for_one_reservation_keep_one(
    school: School,  # noqa: F811
    tmp_path: Path,
) -> None:
    two = tmp_path / "two-copies.csv"
    two.write_text(
        "barcode,isbn,title,author,category,loan,price\n"
        "L0001,9787020002207,红岩,罗广斌,I247.5,loan,20.00\n"
        "L0002,9787020002207,红岩,罗广斌,I247.5,loan,20.00\n",
        encoding="utf-8",
    )
    done = server_command("import", "catalog", two, "--add-only", "--db", school.db)
    assert done.returncode == 0, done.stderr
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "L0001", "@done")
    scan(b, MONDAY, PUPIL_B, "L0002", "@done")
    _reserve(school, "--isbn", "9787020002207")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    # Both doors offline: each takes one copy back and holds it for the teacher.
    assert scan(a, "2026-11-23T12:30", "L0001")[0]["message_key"] == "returned.reserved"
    assert scan(b, "2026-11-23T12:31", "L0002")[0]["message_key"] == "returned.reserved"
    for db, token in ((a, a_token), (b, b_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    [kept] = _reservations(school)
    assert (kept["state"], kept["ready_barcode"]) == ("ready", "L0001")
    [item] = [i for i in school.review() if i["kind"] == "reservation_readied_twice"]
    assert item["barcode"] == "L0002" and item["kiosk"] == "door-b"
    # The released copy is lent at door B like any other.
    lent = scan(b, "2026-11-23T12:40", PUPIL_C, "L0002", "@done")
    assert lent[1]["outcome"] == "borrowed"
