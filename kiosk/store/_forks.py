"""When this file's history and the server's part ways, and how sync carries on.

Two things a school does with backups make them part:

- **This file was restored from an older backup** (or the SD card copied into a second Pi):
  the server already holds other events under the numbers the kiosk goes on using. The kiosk
  then begins a new *journal* at the first such number (sync.protocol.JournalStart): its events
  from there on are sent as that journal's, and the server keeps both histories. Nothing the
  door decided after the restore is refused or lost.
- **The server was restored from an older backup**: it no longer holds events it once
  acknowledged. The kiosk sends them again (the outbox is rewound), unless retention already
  deleted them here; and pulls everything from scratch, since the server's revisions went back.

Each is one short transaction and leaves a note that `kiosk doctor` shows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kiosk.store._time import now_iso

JOURNAL_FORKED = "journal_forked"  # first..last: the server's events under this file's numbers
SERVER_LOST = "server_lost"  # first..last: sent again
SERVER_LOST_RETIRED = "server_lost_retired"  # first..last: retention deleted them here


@dataclass(frozen=True)
class Note:
    at: str
    kind: str
    first: int
    last: int
    journal: int | None


def path(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """(number, first sequence number) of each journal this file's events follow, oldest
    first; [(0, 1)] for a file that never forked (or from before migration m006)."""
    try:
        rows = conn.execute(
            "SELECT number, from_seq FROM journals WHERE replaced = 0 ORDER BY from_seq"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return [(0, 1)]
        raise
    return [(int(n), int(f)) for n, f in rows] or [(0, 1)]


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)


def fork(conn: sqlite3.Connection, from_seq: int, above: int, server_held: int) -> int:
    """Begin a new journal at ``from_seq``, numbered above ``above`` (the highest the server
    holds) and every journal of this file; the number. Call inside a write transaction."""
    assert conn.in_transaction, "a fork is one transaction"
    (mine,) = conn.execute("SELECT coalesce(max(number), 0) FROM journals").fetchone()
    number = max(int(mine), above) + 1
    conn.execute("UPDATE journals SET replaced = 1 WHERE from_seq >= ?", (from_seq,))
    conn.execute(
        "INSERT INTO journals (number, from_seq, began_at) VALUES (?, ?, ?)",
        (number, from_seq, now_iso()),
    )
    # Sent again, under the new journal; the pulled loans no longer include them.
    conn.execute(
        "UPDATE sync_state SET pushed_through = max(checkpoint_seq, min(pushed_through, ?)), "
        "reflects_through = min(reflects_through, ?) WHERE id = 1",
        (from_seq - 1, from_seq - 1),
    )
    conn.execute("DELETE FROM outbox_rejections WHERE seq >= ?", (from_seq,))
    _note(conn, JOURNAL_FORKED, from_seq, max(server_held, from_seq), number)
    return number


def rewind(conn: sqlite3.Connection, server_has: int) -> tuple[int, int] | None:
    """The server holds this kiosk's events only up to ``server_has``: send the rest again.

    Returns the range sent again, or None when nothing was missing (events the server refused
    to store were never on it). Call inside a write transaction.
    """
    assert conn.in_transaction, "a rewind is one transaction"
    pushed, kept_from = conn.execute(
        "SELECT pushed_through, checkpoint_seq FROM sync_state WHERE id = 1"
    ).fetchone()
    missing = conn.execute(
        "SELECT min(seq) FROM events WHERE seq > ? AND seq <= ? "
        "AND seq NOT IN (SELECT seq FROM outbox_rejections)",
        (server_has, pushed),
    ).fetchone()[0]
    lost_here = server_has < kept_from <= pushed
    if missing is None and not lost_here:
        return None
    first = server_has + 1
    resend_from = max(first, int(kept_from) + 1)
    conn.execute(
        "UPDATE sync_state SET pushed_through = ?, reflects_through = min(reflects_through, ?), "
        "want_snapshot = 1 WHERE id = 1",
        (resend_from - 1, server_has),
    )
    conn.execute("DELETE FROM outbox_rejections WHERE seq >= ?", (resend_from,))
    if lost_here and (first, int(kept_from)) not in lost(conn):
        _note(conn, SERVER_LOST_RETIRED, first, int(kept_from), None)
    if resend_from <= pushed:
        _note(conn, SERVER_LOST, resend_from, int(pushed), None)
        return resend_from, int(pushed)
    return None


def lost(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """Ranges of events gone for good: deleted here after retention, lost by the server. Sync
    says so with every push and pull, so that the server counts them as answered."""
    return [(n.first, n.last) for n in notes(conn) if n.kind == SERVER_LOST_RETIRED][-64:]


def notes(conn: sqlite3.Connection) -> list[Note]:
    try:
        rows = conn.execute(
            "SELECT at, kind, first, last, journal FROM sync_notes ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [Note(str(a), str(k), int(f), int(la), j) for a, k, f, la, j in rows]


def _note(conn: sqlite3.Connection, kind: str, first: int, last: int, journal: int | None) -> None:
    conn.execute(
        "INSERT INTO sync_notes (at, kind, first, last, journal) VALUES (?, ?, ?, ?, ?)",
        (now_iso(), kind, first, last, journal),
    )
