"""Opening the SQLite file with the durability the door needs, and saying clearly when we can't.

Every SQLite error that leaves the store becomes a :class:`StoreError` whose message is one
sentence a school's IT teacher can act on: :func:`guarded` is how the store's methods say so.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlite_utils import Database

# A scan waits this long for another process (the sync worker) to finish writing before the
# kiosk reports the store as busy. Writers hold the lock for milliseconds.
BUSY_TIMEOUT_MS = 5000

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(Exception):
    """A problem with the database file a person can act on; the message says what to do."""


class NoPolicyError(StoreError):
    """The kiosk cannot decide anything before the school's policy has been imported."""


class UnreadableRow(Exception):  # noqa: N818 (internal: always turned into a StoreError)
    """A row holds a value no kiosk wrote (a damaged page, or an outside tool's edit)."""

    def __init__(self, table: str, detail: str) -> None:
        super().__init__(f"{table}: {detail}")
        self.table = table
        self.detail = detail


def unreadable(path: Path, row: UnreadableRow) -> StoreError:
    return StoreError(
        f"{path}: the {row.table} table holds a value no kiosk wrote ({row.detail}); "
        f"run `kiosk doctor --db {path}` to see what to do"
    )


class OpenMode(enum.Enum):
    """How the store opens its file (not the door's mode, kiosk.core.modes.DoorMode)."""

    CREATE = "create"  # a new file, or an existing kiosk database
    WRITE = "write"  # an existing kiosk database, opened for the door and imports
    READ = "read"  # an existing kiosk database, looked at and never changed (read-only media)


def connect(path: Path, mode: OpenMode) -> Database:
    if mode is not OpenMode.CREATE and not path.is_file():
        raise StoreError(f"{path}: no kiosk database here; create one with `kiosk init`")
    if mode is not OpenMode.CREATE and path.stat().st_size == 0:
        # Opening it would turn an empty file into an empty database: leave it as it is.
        raise StoreError(f"{path}: empty file, not a kiosk database; create one with `kiosk init`")
    if mode is OpenMode.CREATE and not path.parent.exists():
        raise StoreError(f"{path.parent}: folder does not exist")
    conn: sqlite3.Connection | None = None
    try:
        if mode is OpenMode.READ:
            conn = connect_read_only(path)
            return Database(conn)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        # WAL lets the sync worker read while the door writes; FULL makes every commit durable
        # before the screen says "borrowed" (a power cut must not undo a loan a child saw).
        journal_mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        if str(journal_mode).lower() != "wal":
            raise StoreError(f"{path}: could not switch the database to WAL mode ({journal_mode})")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.DatabaseError, StoreError) as exc:
        _close(conn)
        if isinstance(exc, StoreError):
            raise
        raise StoreError(describe(path, exc)) from exc
    return Database(conn)


def _close(conn: sqlite3.Connection | None) -> None:
    # A connection refers to itself (its statement cache), so an unclosed one lives until the
    # garbage collector runs, keeping -wal and -shm files beside a file that was refused.
    if conn is not None:
        conn.close()


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can never write, even on read-only media.

    ``mode=ro`` still needs to create the ``-shm`` file beside a WAL database. Where it cannot
    (a read-only card or folder) and there is no ``-wal`` file holding unfinished changes, the
    file is all there is and ``immutable=1`` reads it as it is.
    """
    uri = path.resolve().as_uri()
    conn: sqlite3.Connection | None = None
    try:
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            _close(conn)
            conn = None
            if "unable to open" not in str(exc):
                raise
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreError(
                    f"{path}: its latest changes are in {wal.name}, which cannot be read from "
                    "read-only storage; copy the database and its -wal file somewhere writable"
                ) from None
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        _close(conn)
        raise StoreError(describe(path, exc)) from exc
    conn.execute("PRAGMA query_only=ON")
    return conn


def describe(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"{path}: the database is busy (another program holds it locked); try again"
    if "not a database" in text:
        return (
            f"{path}: not a kiosk database, or its first page is damaged ({text}); "
            f"run `kiosk doctor --db {path}` to see what can be saved"
        )
    if "malformed" in text or "corrupt" in text:
        return (
            f"{path}: part of the file is damaged ({text}); "
            f"run `kiosk doctor --db {path}` to see which part and what to do"
        )
    if "readonly" in text or "unable to open" in text:
        return f"{path}: cannot open the database for writing ({text})"
    return f"{path}: database error: {text}"


class HasPath(Protocol):
    @property
    def path(self) -> Path: ...


S = TypeVar("S", bound=HasPath)


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Turn any SQLite error of a store method into a StoreError that says what to do."""

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(self.path, exc)) from exc
        except UnreadableRow as row:
            raise unreadable(self.path, row) from row

    return wrapper


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
        _roll_back(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _roll_back(conn)
        raise StoreError(describe(path, exc)) from exc


def _roll_back(conn: sqlite3.Connection) -> None:
    # On a damaged file the rollback can fail too; the error that caused it is the one to tell.
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
