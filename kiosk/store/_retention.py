"""Retention: events the server has acknowledged are deleted after a while, so that the Pi
keeps little about children, through the one path the journal's no-delete trigger lets by.

Only a prefix of the journal goes, cut where no session is open, never past an event the
server has not acknowledged or refused. What the kiosk still needs from the retired events is
kept first: the loans they made (``checkpoint_loans``, the base the projection starts from),
each reader's checkout counts per hour (the term's reading count), and the hash of the last
retired event, from which the rest of the chain still verifies. Each cut is one short
transaction of at most CHUNK events, so the door never waits long.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from kiosk.core.journal import apply
from kiosk.core.models import Loan
from kiosk.store import _rows
from kiosk.store._journal import Journal
from kiosk.store._time import iso

CHUNK = 100  # events a transaction retires: a few milliseconds of the write lock each


def retire(
    conn: sqlite3.Connection,
    journal: Journal,
    transaction: Callable[[], AbstractContextManager[None]],
    before: datetime,
    chunk: int = CHUNK,
) -> int:
    """Delete acknowledged events older than ``before``; how many were deleted."""
    total = 0
    while _anything_older(conn, before):  # a read: no write lock unless there is work
        with transaction():
            cut = _next_cut(conn, before, chunk)
            if cut is None:
                return total
            total += _retire_through(conn, journal, cut)
    return total


def _base_of(conn: sqlite3.Connection, barcodes: set[str]) -> dict[str, Loan]:
    rows = (
        conn.execute(
            f"SELECT {_rows.LOAN_COLUMNS} FROM checkpoint_loans "
            f"WHERE barcode IN ({', '.join('?' * len(barcodes))})",
            sorted(barcodes),
        )
        if barcodes
        else []
    )
    return {str(r[0]): _rows.loan(r) for r in rows}


def _anything_older(conn: sqlite3.Connection, before: datetime) -> bool:
    """Whether the oldest event kept is older than ``before`` (and acknowledged)."""
    row = conn.execute(
        "SELECT e.wall_time FROM events e, sync_state s WHERE s.id = 1 "
        "AND e.seq > s.checkpoint_seq AND e.seq <= s.pushed_through ORDER BY e.seq LIMIT 1"
    ).fetchone()
    return row is not None and str(row[0]) < iso(before)


def _next_cut(conn: sqlite3.Connection, before: datetime, chunk: int) -> int | None:
    pushed, checkpoint = conn.execute(
        "SELECT pushed_through, checkpoint_seq FROM sync_state WHERE id = 1"
    ).fetchone()
    rejected = conn.execute("SELECT min(seq) FROM outbox_rejections").fetchone()[0]
    limit = min(pushed, rejected - 1) if rejected is not None else pushed
    # The newest event always stays: the next one takes its sequence number and hash from it.
    newest = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
    limit = min(limit, newest - 1)
    # After a session_ended, or an event outside any session, no session is open.
    sql = (
        "SELECT max(seq) FROM events WHERE seq > ? AND seq <= ? AND wall_time < ? "
        "AND (type = 'session_ended' OR session_id IS NULL)"
    )
    # A session never runs to 500 events; the wider window is for a journal that says otherwise.
    for upper in (min(limit, checkpoint + chunk), min(limit, checkpoint + 20 * chunk)):
        cut = conn.execute(sql, (checkpoint, upper, iso(before))).fetchone()[0]
        if cut is not None:
            return int(cut)
    return None


def _retire_through(conn: sqlite3.Connection, journal: Journal, cut: int) -> int:
    checkpoint = int(
        conn.execute("SELECT checkpoint_seq FROM sync_state WHERE id = 1").fetchone()[0]
    )
    # Only up to the cut: the rest of the journal is not read inside the write transaction.
    retired = list(itertools.takewhile(lambda e: e.seq <= cut, journal.events(checkpoint)))
    # The base loans move on by what the retired events did to the copies they name: only
    # those rows change (a school with thousands of loans out does not rewrite them all).
    touched = {e.event.barcode for e in retired if e.event.barcode}
    live = _base_of(conn, touched)
    for recorded in retired:
        apply(live, recorded)
    conn.executemany(
        "DELETE FROM checkpoint_loans WHERE barcode = ?", [(b,) for b in touched - live.keys()]
    )
    conn.executemany(
        f"INSERT OR REPLACE INTO checkpoint_loans ({_rows.LOAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        [_rows.loan_values(x) for x in live.values()],
    )
    conn.execute(
        "INSERT INTO retired_checkouts (card, hour, checkouts) "
        "SELECT card, substr(wall_time, 1, 13), count(*) FROM events "
        "WHERE seq > ? AND seq <= ? AND type = 'checkout' AND card IS NOT NULL "
        "GROUP BY card, substr(wall_time, 1, 13) "
        "ON CONFLICT (card, hour) DO UPDATE SET checkouts = checkouts + excluded.checkouts",
        (checkpoint, cut),
    )
    last_hash = conn.execute("SELECT hash FROM events WHERE seq = ?", (cut,)).fetchone()[0]
    conn.execute("INSERT INTO retention_permit (id, through) VALUES (1, ?)", (cut,))
    deleted = conn.execute("DELETE FROM events WHERE seq <= ?", (cut,)).rowcount
    conn.execute("DELETE FROM retention_permit")
    conn.execute(
        "UPDATE sync_state SET checkpoint_seq = ?, checkpoint_hash = ? WHERE id = 1",
        (cut, last_hash),
    )
    return int(deleted)
