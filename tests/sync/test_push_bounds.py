"""What a kiosk's token can push: only what a real kiosk's clocks and journal produce.

A time no clock reads (year 1, year 9999), a monotonic reading of centuries, a card or barcode
with a tab or a line break: each is refused at the door of the server, 400 naming the field,
and nothing of the push is stored. Every reading a real Pi makes still goes through: 1970 after
a power cut without a real-time clock, 2099 from a clock module with a dead battery. On SQLite
and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.core import bounds
from sync.protocol import PROTOCOL_VERSION, encode
from sync.server.db import reading
from sync.server.tables import events
from tests.sync.conftest import Kiosk, LiveServer, make_kiosk, push_request


def _stored(live: LiveServer) -> int:
    with reading(live.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def _body(kiosk: Kiosk) -> dict[str, Any]:
    kiosk.borrow("S31", "B1")
    kiosk.borrow("S31", "B2")
    body: dict[str, Any] = json.loads(encode(push_request(kiosk.id, kiosk.events())))
    assert len(body["events"]) > 3
    return body


NOT_A_CLOCK = [
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:00:00-05:00",  # past year 9999 in UTC
    "1969-12-31T23:59:59+00:00",
    "2200-01-01T00:00:00+00:00",
]


@pytest.mark.parametrize("when", NOT_A_CLOCK)
def test_a_time_no_clock_reads_is_refused_naming_the_field(
    live: LiveServer, kiosks: dict[str, Kiosk], when: str
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    for field in ("events.3.wall_time", "events.3.clock_time", "sent.wall"):
        wrong = copy.deepcopy(body)
        *path, last = field.split(".")
        target: Any = wrong
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = when
        answer = live.post("/v1/push", wrong, kiosk=a.id)
        assert answer.status_code == 400, (field, answer.text)
        assert answer.json()["field"] == field
        assert "1970-01-01" in answer.json()["message"]
    assert _stored(live) == 0


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31", "1969-12-31", "2200-01-01"])
def test_a_due_date_no_kiosk_gives_is_refused(
    live: LiveServer, kiosks: dict[str, Kiosk], due: str
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    checkout = next(i for i, e in enumerate(body["events"]) if e["type"] == "checkout")
    body["events"][checkout]["due"] = due
    answer = live.post("/v1/push", body, kiosk=a.id)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == f"events.{checkout}.due"
    assert _stored(live) == 0


@pytest.mark.parametrize("mono", [-1.0, bounds.MAX_MONO_SECONDS + 1.0, 1e300])
def test_a_monotonic_reading_of_centuries_is_refused(
    live: LiveServer, kiosks: dict[str, Kiosk], mono: float
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    wrong = copy.deepcopy(body)
    wrong["sent"]["mono"] = mono  # a huge one used to fail deep in re-timing: a 500
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.status_code == 400 and answer.json()["field"] == "sent.mono", answer.text
    wrong = copy.deepcopy(body)
    wrong["events"][3]["mono_time"] = mono
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "events.3.mono_time"
    assert _stored(live) == 0
    assert live.post("/v1/push", body, kiosk=a.id).status_code == 200


@pytest.mark.parametrize("forged", ["S31\tB9", "S31\nissue", "S31\r", "S31\u2028x", "S31\x00"])
def test_a_card_or_barcode_with_a_control_character_is_refused(
    live: LiveServer, kiosks: dict[str, Kiosk], forged: str
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    checkout = next(i for i, e in enumerate(body["events"]) if e["type"] == "checkout")
    for field in ("card", "barcode"):
        wrong = copy.deepcopy(body)
        wrong["events"][checkout][field] = forged
        answer = live.post("/v1/push", wrong, kiosk=a.id)
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == f"events.{checkout}.{field}"
        assert "control characters" in answer.json()["message"]
    assert _stored(live) == 0


@pytest.mark.parametrize(
    ("start", "why"),
    [
        # A Pi without a real-time clock after a power cut: its first event one second after
        # it started counting from 1970-01-01 00:00 UTC (08:00 in the school's zone).
        ("1970-01-01 07:59:59", "the first second of 1970"),
        ("2099-06-01 12:15", "a clock module with a dead battery"),
    ],
)
def test_every_reading_a_real_pi_makes_goes_through(
    live: LiveServer, tmp_path: Path, start: str, why: str
) -> None:
    kiosk = make_kiosk(tmp_path / "door-c.db", "door-c", start, synced=False)
    try:
        live.add_kiosk(kiosk.id)
        kiosk.borrow("S31", "B1")
        kiosk.scan("T1", "B2", "@done")
        recorded = kiosk.events()
        if start.startswith("1970"):
            assert recorded[0].stamp.wall == bounds.EARLIEST_TIME
        answer = live.push(kiosk.id, recorded)
        assert answer.acked_through == len(recorded), why
        assert _stored(live) == len(recorded)
    finally:
        kiosk.store.close()


def test_a_heartbeat_from_no_clock_is_refused(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    beat = {
        "protocol": PROTOCOL_VERSION,
        "kiosk_id": "door-a",
        "version": "1",
        "events_waiting": 0,
        "last_sync": None,
        "clock": {"wall": "9999-12-31T23:59:59+00:00", "mono": 1.0, "boot_id": "b", "synced": True},
        "scanners": [],
    }
    answer = live.post("/v1/heartbeat", beat, kiosk="door-a")
    assert answer.status_code == 400 and answer.json()["field"] == "clock.wall"
    beat["clock"]["wall"] = "2026-11-23T04:20:00+00:00"  # type: ignore[index]
    assert live.post("/v1/heartbeat", beat, kiosk="door-a").status_code == 200


@pytest.mark.parametrize("field", ["session_id", "boot_id", "code"])
def test_a_nul_or_a_line_break_in_any_text_of_an_event_is_refused(
    live: LiveServer, kiosks: dict[str, Kiosk], field: str
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    for bad in ("a\x00b", "a\nb"):
        wrong = copy.deepcopy(body)
        wrong["events"][2][field] = bad  # PostgreSQL cannot store a NUL: this was a 500
        answer = live.post("/v1/push", wrong, kiosk=a.id)
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == f"events.2.{field}"
    assert _stored(live) == 0
