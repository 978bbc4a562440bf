"""The sync tables when a page of them is lost: what `kiosk doctor` says and `--repair` does.

None of them is the truth: the journal is. So a damaged sync table is rebuilt (by _repair.py)
and then set back to what the journal and the loan table still say: the retention checkpoint
is read back from the oldest event kept, the next sync sends every event kept again (the server
answers ``duplicate`` for those it has) and pulls everything from scratch, and the loans of
retired events are taken back from the loan table.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from kiosk.core.journal import GENESIS_HASH
from kiosk.store._rows import LOAN_COLUMNS

TABLES = (
    "sync_state",
    "outbox_rejections",
    "pulled_loans",
    "new_arrivals",
    "pulled_term_checkouts",
    "pulled_reservations",
    "checkpoint_loans",
    "retired_checkouts",
    "retention_permit",
    "scanner_status",
    "sync_health",
    "journals",
    "sync_notes",
)


def has_sync_schema(conn: sqlite3.Connection) -> bool:
    """Whether migration m003_sync was applied (an older file has no sync tables, rightly).

    A damaged migrations table says nothing: then the schema version's own check reports it.
    """
    try:
        row = conn.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE name = 'm003_sync'"
        ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(row and row[0])


# Tables of later migrations: a file opened read-only before it was migrated has none, rightly.
_SINCE = {
    "journals": "m006_journals",
    "sync_notes": "m006_journals",
    "scanner_status": "m007_scanner_status",
    "pulled_reservations": "m009_reservations",
}


def expected(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """The ``tables`` this file should have, given the migrations applied to it."""
    try:
        applied = {str(r[0]) for r in conn.execute("SELECT name FROM _sqlite_migrations")}
    except sqlite3.DatabaseError:
        return list(tables)
    return [t for t in tables if t not in _SINCE or _SINCE[t] in applied]


def problems(conn: sqlite3.Connection) -> list[str]:
    row = conn.execute("SELECT count(*) FROM sync_state WHERE id = 1").fetchone()
    return [] if row and row[0] == 1 else ["the sync state row is missing"]


def restore(path: Path, rebuilt: set[str]) -> list[str]:
    """After ``rebuilt`` tables came back empty: put back what can honestly be put back."""
    done: list[str] = []
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT count(*) FROM sync_state WHERE id = 1").fetchone()[0] == 0:
            first = conn.execute(
                "SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1"
            ).fetchone()
            seq, digest = (int(first[0]) - 1, str(first[1])) if first else (0, GENESIS_HASH)
            conn.execute(
                "INSERT INTO sync_state (id, pushed_through, checkpoint_seq, checkpoint_hash) "
                "VALUES (1, ?, ?, ?)",
                (seq, seq, digest),
            )
            done.append(
                "sync state: read back from the journal; the next sync sends every event kept "
                "again and pulls everything from the server"
            )
        if "journals" in rebuilt:
            # Journal 0 alone: if the file had begun another, the next push finds it again
            # (the server refuses the numbers it holds) and begins a new one.
            conn.execute(
                "INSERT OR IGNORE INTO journals (number, from_seq, began_at) VALUES (0, 1, '')"
            )
            conn.execute("UPDATE sync_state SET pushed_through = checkpoint_seq WHERE id = 1")
            done.append("journals: journal 0 again; every event kept is sent again")
        if "outbox_rejections" in rebuilt:
            conn.execute("UPDATE sync_state SET pushed_through = checkpoint_seq WHERE id = 1")
            done.append("outbox: every event kept is sent again at the next sync")
        if rebuilt & {"pulled_loans", "new_arrivals", "pulled_term_checkouts",
                      "pulled_reservations"}:  # fmt: skip
            conn.execute("DELETE FROM pulled_loans")
            conn.execute("DELETE FROM pulled_term_checkouts")
            conn.execute("DELETE FROM pulled_reservations")
            conn.execute(
                "UPDATE sync_state SET pulled = 0, cursor_reference = 0, cursor_loans = 0, "
                "snapshot_open = 0 WHERE id = 1"
            )
            done.append("pulled data: fetched again from the server at the next sync")
        if "checkpoint_loans" in rebuilt:
            taken = conn.execute(
                f"INSERT INTO checkpoint_loans ({LOAN_COLUMNS}) SELECT {LOAN_COLUMNS} FROM loans "
                "WHERE event_seq <= (SELECT checkpoint_seq FROM sync_state WHERE id = 1)"
            ).rowcount
            done.append(f"loans of retired events: {taken} taken back from the loan table")
        conn.execute("COMMIT")
    return done
