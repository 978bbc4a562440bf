"""The outbox: which journal events the server has answered, and what the worker reports.

Events are pushed in sequence order, one batch at a time, so "answered" is one number
(``sync_state.pushed_through``); the few the server refused to store are kept with the reason
(``outbox_rejections``), not sent again, and never retired. An acknowledgement is one short
transaction: the door waits for it at most milliseconds.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.core.journal import RecordedEvent
from kiosk.store._journal import Journal
from kiosk.store._time import now_iso


@dataclass(frozen=True)
class Acknowledgement:
    """The server's answer for one pushed event: stored (now or before), or refused, why."""

    seq: int
    stored: bool
    reason: str | None = None


@dataclass(frozen=True)
class SyncStatus:
    events_waiting: int
    pushed_through: int
    rejected: int
    last_push_at: str | None
    last_pull_at: str | None
    policy_problem: str | None
    checkpoint_seq: int
    checkpoint_hash: str


class AcknowledgementError(Exception):
    """Answers that do not continue the outbox in order (a bug or a confused server)."""


def pushed_through(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT pushed_through FROM sync_state WHERE id = 1").fetchone()[0])


def unsent(conn: sqlite3.Connection, journal: Journal, limit: int) -> list[RecordedEvent]:
    """The oldest ``limit`` events the server has not answered, in order."""
    return list(itertools.islice(journal.events(pushed_through(conn)), limit))


def acknowledge(conn: sqlite3.Connection, answers: Sequence[Acknowledgement]) -> None:
    """Record the answers to one batch (inside the store's transaction)."""
    assert conn.in_transaction, "acknowledgements are written in one transaction"
    if not answers:
        return
    start = pushed_through(conn)
    seqs = [a.seq for a in answers]
    if seqs != list(range(start + 1, start + 1 + len(seqs))):
        raise AcknowledgementError(
            f"answers for events {seqs[0]}..{seqs[-1]} do not follow event {start}"
        )
    stamp = now_iso()
    conn.executemany(
        "INSERT OR REPLACE INTO outbox_rejections (seq, reason, rejected_at) VALUES (?, ?, ?)",
        [(a.seq, a.reason or "rejected", stamp) for a in answers if not a.stored],
    )
    conn.execute(
        "UPDATE sync_state SET pushed_through = ?, last_push_at = ? WHERE id = 1",
        (seqs[-1], stamp),
    )


def status(conn: sqlite3.Connection) -> SyncStatus:
    row = conn.execute(
        "SELECT pushed_through, last_push_at, last_pull_at, policy_problem, checkpoint_seq, "
        "checkpoint_hash FROM sync_state WHERE id = 1"
    ).fetchone()
    waiting = conn.execute("SELECT count(*) FROM events WHERE seq > ?", (row[0],)).fetchone()[0]
    rejected = conn.execute("SELECT count(*) FROM outbox_rejections").fetchone()[0]
    return SyncStatus(
        events_waiting=int(waiting),
        pushed_through=int(row[0]),
        rejected=int(rejected),
        last_push_at=row[1],
        last_pull_at=row[2],
        policy_problem=row[3],
        checkpoint_seq=int(row[4]),
        checkpoint_hash=str(row[5]),
    )
