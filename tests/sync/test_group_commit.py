"""Pushes that arrive together are stored in one transaction (sync.server.queue), but each is
its own: one that fails or is over its limit changes nothing of the others, and still counts
against its kiosk's limit. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select

from sync.server import accounts, ingest
from sync.server.ingest import Push, PushFailed
from sync.server.ratelimit import RateLimit, RateLimited
from sync.server.tables import events, rate_windows
from sync.server.tables import kiosks as kiosk_rows
from tests.sync.conftest import Kiosk, push_request

NOW = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)


def _stored(engine: Engine, kiosk: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(events.c.kiosk == kiosk)).scalar_one())


def _counted(engine: Engine, kiosk: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            select(func.sum(rate_windows.c.requests)).where(rate_windows.c.kiosk == kiosk)
        ).scalar()
    return int(found or 0)


def test_one_push_that_fails_in_a_group_fails_alone_and_is_counted(
    engine: Engine, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    a.borrow("S31", "B1")
    b.borrow("S32", "B2")
    with engine.begin() as conn:
        accounts.add_kiosk(conn, a.id, NOW)
        accounts.add_kiosk(conn, b.id, NOW)
    limit = RateLimit(limit=100)
    good = Push(a.id, push_request(a.id, a.events()), NOW)
    # door-b was removed while its push waited in the queue: storing it fails.
    doomed = Push(b.id, push_request(b.id, b.events()), NOW)
    with engine.begin() as conn:
        conn.execute(delete(kiosk_rows).where(kiosk_rows.c.name == b.id))
    outcomes = ingest.store_together(engine, [doomed, good], limit)
    assert isinstance(outcomes[0], PushFailed)
    assert not isinstance(outcomes[1], Exception)
    assert [r.status.value for r in outcomes[1].results] == ["accepted"] * 3
    assert _stored(engine, a.id) == 3 and _stored(engine, b.id) == 0
    # A kiosk whose pushes fail still spends its limit: it cannot flood the server.
    assert (_counted(engine, a.id), _counted(engine, b.id)) == (1, 1)


def test_a_push_over_its_limit_in_a_group_changes_nothing_of_the_others(
    engine: Engine, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    a.borrow("S31", "B1")
    b.borrow("S32", "B2")
    with engine.begin() as conn:
        accounts.add_kiosk(conn, a.id, NOW)
        accounts.add_kiosk(conn, b.id, NOW)
    limit = RateLimit(limit=1)
    first = Push(b.id, push_request(b.id, b.events()[:1]), NOW)
    again = Push(b.id, push_request(b.id, b.events()), NOW)
    good = Push(a.id, push_request(a.id, a.events()), NOW)
    outcomes = ingest.store_together(engine, [first, again, good], limit)
    assert isinstance(outcomes[1], RateLimited)
    assert _stored(engine, a.id) == 3 and _stored(engine, b.id) == 1
