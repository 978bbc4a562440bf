"""Revision numbers for everything kiosks pull, handed out so that they commit in order.

A kiosk asks for "changes after revision N". If two transactions took revisions 10 and 11 and
11 committed first, a pull in between would move past 10 before it existed. So revisions come
from one counter row, and the transaction that takes them holds that row's lock until it
commits: whoever wants revisions next waits. Readers need no lock: when they read the counter,
every revision up to it is committed.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from sync.server.tables import counters

_REVISION = counters.c.name == "revision"
# Built once: they run with every group of pushes.
_LOCK = select(counters.c.value).where(_REVISION).with_for_update()
_LATEST = select(counters.c.value).where(_REVISION)


def lock(conn: Connection) -> int:
    """Take the counter's lock for the rest of the transaction; the last revision handed out.

    On SQLite the write transaction already holds the database's only write lock.
    """
    return int(conn.execute(_LOCK).scalar_one())


def take(conn: Connection, count: int) -> list[int]:
    """``count`` new revisions, in order (call :func:`lock` first to fold under the lock)."""
    if count == 0:
        return []
    last = conn.execute(
        update(counters)
        .where(_REVISION)
        .values(value=counters.c.value + count)
        .returning(counters.c.value)
    ).scalar_one()
    return list(range(int(last) - count + 1, int(last) + 1))


def latest(conn: Connection) -> int:
    """The last revision committed (every change up to it is visible)."""
    return int(conn.execute(_LATEST).scalar_one())
