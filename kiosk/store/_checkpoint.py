"""Where the kept journal starts: the loans of the events retention removed, and the hash of the
last of them (see _retention.py). Before any retention both are empty (the genesis)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from kiosk.core.journal import GENESIS_HASH, RecordedEvent, apply
from kiosk.core.models import Loan
from kiosk.store import _rows

_BASE = f"SELECT {_rows.LOAN_COLUMNS} FROM checkpoint_loans"
_BASE_BEFORE_RENEWALS = f"SELECT {_rows.LOAN_COLUMNS_BEFORE_RENEWALS} FROM checkpoint_loans"


def _retention_tables(conn: sqlite3.Connection) -> bool:
    """Whether the file has them: `kiosk doctor` reads files too old to have been migrated."""
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
        "AND name IN ('checkpoint_loans', 'sync_state')"
    ).fetchone()
    return int(row[0]) == 2


def base_loans(conn: sqlite3.Connection) -> dict[str, Loan]:
    """The loans as they stood after the last retired event."""
    if not _retention_tables(conn):
        return {}
    renewals = any(r[1] == "renewals" for r in conn.execute("PRAGMA table_info(checkpoint_loans)"))
    base = _BASE if renewals else _BASE_BEFORE_RENEWALS  # a file read as it is, not migrated
    return {str(r[0]): _rows.loan(r) for r in conn.execute(base)}


def projection(conn: sqlite3.Connection, events: Iterable[RecordedEvent]) -> dict[str, Loan]:
    """The loan table ``events`` (the journal kept) project to, from the retired loans on."""
    loans = base_loans(conn)
    for recorded in events:
        apply(loans, recorded)
    return loans


def chain_start(conn: sqlite3.Connection) -> tuple[int, str]:
    """(sequence, hash) of the last retired event: the kept chain links to that hash."""
    if not _retention_tables(conn):
        return 0, GENESIS_HASH
    seq, digest = conn.execute(
        "SELECT checkpoint_seq, checkpoint_hash FROM sync_state WHERE id = 1"
    ).fetchone()
    return int(seq), str(digest)
