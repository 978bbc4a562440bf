"""Protocol v1's heartbeat named the scanners "readers" until a reader meant only a child. Kiosks
are upgraded after their server, so for one release the server takes either name (and stores
the new one), never both at once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from sync.protocol import PROTOCOL_VERSION
from sync.server.tables import kiosks
from tests.sync.conftest import LiveServer

STATES = [{"name": "card-reader", "state": "disconnected"}]


def _beat(**scanners: Any) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL_VERSION,
        "kiosk_id": "door-a",
        "version": "0.1.0",
        "events_waiting": 0,
        "last_sync": None,
        "clock": {"wall": "2026-11-23T04:20:00+00:00", "mono": 1.0, "boot_id": "b", "synced": True},
        **scanners,
    }


def _stored(live: LiveServer) -> dict[str, Any]:
    with live.engine.connect() as conn:
        beat = conn.execute(select(kiosks.c.last_heartbeat)).scalar_one()
    found: dict[str, Any] = json.loads(beat)
    return found


def test_a_kiosk_not_yet_upgraded_sends_readers_and_they_are_kept_as_its_scanners(
    live: LiveServer,
) -> None:
    live.add_kiosk("door-a")
    assert live.post("/v1/heartbeat", _beat(readers=STATES), kiosk="door-a").status_code == 200
    stored = _stored(live)
    assert stored["scanners"] == STATES and "readers" not in stored
    assert live.post("/v1/heartbeat", _beat(scanners=[]), kiosk="door-a").status_code == 200
    assert _stored(live)["scanners"] == []


def test_a_heartbeat_with_both_names_is_refused(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    answer = live.post("/v1/heartbeat", _beat(scanners=[], readers=STATES), kiosk="door-a")
    assert answer.status_code == 400 and answer.json()["field"] == "readers"
