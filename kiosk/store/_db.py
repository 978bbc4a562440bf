"""Opening the SQLite file with the durability the door needs, and saying clearly when we can't."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

# A scan waits this long for another process (the sync worker) to finish writing before the
# kiosk reports the store as busy. Writers hold the lock for milliseconds.
BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """A problem with the database file a person can act on; the message says what to do."""


class NoPolicyError(StoreError):
    """The kiosk cannot decide anything before the school's policy has been imported."""


def connect(path: Path, *, must_exist: bool) -> Database:
    if must_exist and not path.is_file():
        raise StoreError(f"{path}: no kiosk database here; create one with `kiosk init`")
    if must_exist and path.stat().st_size == 0:
        # Opening it would turn an empty file into an empty database: leave it as it is.
        raise StoreError(f"{path}: empty file, not a kiosk database; create one with `kiosk init`")
    if not must_exist and not path.parent.exists():
        raise StoreError(f"{path.parent}: folder does not exist")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn)
        # WAL lets the sync worker read while the door writes; FULL makes every commit durable
        # before the screen says "borrowed" (a power cut must not undo a loan a child saw).
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: could not switch the database to WAL mode ({mode})")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(describe(path, exc)) from exc
    return db


def describe(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"{path}: the database is busy (another program holds it locked); try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{path}: the file is damaged or is not a kiosk database ({text}); "
            "restore it from a backup or run `kiosk init` on a new file"
        )
    if "readonly" in text or "unable to open" in text:
        return f"{path}: cannot open the database for writing ({text})"
    return f"{path}: database error: {text}"


@contextmanager
def write_transaction(db: Database, path: Path) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: taken before reading, so what we decide on cannot
    change under us, and either everything in it is committed or nothing is."""
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StoreError(describe(path, exc)) from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(describe(path, exc)) from exc
