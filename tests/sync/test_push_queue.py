"""The group commit's queue (sync.server.queue): a push's answer waits for its own group, never
for the groups that came after it (each group is stored by a push of that group). SQLite and
PostgreSQL, the real ingest; only the moment each group may begin is held by the test."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from sync.protocol import PushResponse
from sync.server import accounts, ingest
from sync.server.ingest import Push
from sync.server.queue import PushQueue
from sync.server.ratelimit import RateLimit
from sync.server.tables import events
from tests.sync.conftest import Kiosk, push_request

NOW = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)


def _stored(engine: Engine, kiosk: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(events.c.kiosk == kiosk)).scalar_one())


def test_the_push_that_stored_a_group_is_answered_before_the_next_group_is_stored(
    engine: Engine, kiosks: dict[str, Kiosk], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    a.borrow("S31", "B1")
    b.borrow("S32", "B2")
    with engine.begin() as conn:
        accounts.add_kiosk(conn, a.id, NOW)
        accounts.add_kiosk(conn, b.id, NOW)
    pushes = {k.id: Push(k.id, push_request(k.id, k.events()), NOW) for k in (a, b)}
    queue = PushQueue(engine, RateLimit(limit=100))
    storing_a, go_a, go_b = threading.Event(), threading.Event(), threading.Event()
    real = ingest.store_together

    def held(engine: Engine, group: list[Push], limit: RateLimit | None) -> list[object]:
        if a.id in {p.kiosk for p in group}:
            storing_a.set()
            assert go_a.wait(30)
        else:
            assert go_b.wait(30)  # door-b's group waits until the test lets it go
        return list(real(engine, group, limit))

    monkeypatch.setattr(ingest, "store_together", held)
    answers: dict[str, PushResponse] = {}

    def push(kiosk: str) -> None:
        answers[kiosk] = queue.store(pushes[kiosk])

    first = threading.Thread(target=push, args=(a.id,))
    first.start()
    assert storing_a.wait(30)
    second = threading.Thread(target=push, args=(b.id,))
    second.start()
    while not queue._waiting:  # door-b's push is queued while door-a's group is stored
        time.sleep(0)
    go_a.set()
    first.join(30)
    try:
        assert not first.is_alive(), "door-a's answer waited for door-b's group"
        assert [r.status.value for r in answers[a.id].results] == ["accepted"] * 3
        assert b.id not in answers
    finally:
        go_b.set()
        second.join(30)
    assert [r.status.value for r in answers[b.id].results] == ["accepted"] * 3
    assert _stored(engine, a.id) == 3 and _stored(engine, b.id) == 3
