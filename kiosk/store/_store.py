"""The store's face: open or create the file, write transactions, the journal, loans, imports.

Every public method either does what it says or raises :class:`StoreError` with a sentence a
person can act on; no SQLite error leaves this package.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from kiosk.core.decisions import Event
from kiosk.core.import_plan import ImportMode
from kiosk.core.journal import RecordedEvent, Stamp
from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.moments import Reading
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from kiosk.store import _loanview
from kiosk.store._db import (
    NoPolicyError,
    OpenMode,
    StoreError,
    connect,
    describe,
    guarded,
    write_transaction,
)
from kiosk.store._journal import Journal
from kiosk.store._library import SqliteLibrary
from kiosk.store._lock import DoorBusyError, DoorLock
from kiosk.store._schema import is_kiosk_database, migrate
from kiosk.store._school_data import (
    COPIES,
    READERS,
    ImportCounts,
    copy_rows,
    held_by_copies,
    held_by_readers,
    reader_rows,
    replace_rows,
)
from kiosk.store._sync import SyncTables
from kiosk.store._time import now_iso


class Store:
    """One kiosk's SQLite file. Not thread-safe: one Store per thread or process.

    ``read_only`` opens the file so that nothing can change it, not even a migration: for
    looking at a file on read-only media, or while the kiosk runs.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._door_lock: DoorLock | None = None
        self._db = connect(path, OpenMode.READ if read_only else OpenMode.WRITE)
        try:
            self.kiosk_id = self._open()
        except BaseException:
            self._db.close()
            raise
        conn = self._db.conn
        self.library = SqliteLibrary(conn, path)
        self._journal = Journal(conn, path, self.kiosk_id)
        # The sync worker's outbox, pulls and retention (kept out of the door's way: _sync.py).
        self.sync = SyncTables(conn, path, self._journal, self.transaction)
        # The longest this Store held the write lock, in seconds: bench_sync reports it.
        self.longest_write = 0.0

    @classmethod
    def create(cls, path: Path, kiosk_id: str) -> Store:
        db = connect(path, OpenMode.CREATE)
        try:
            migrate(db, path)
            with write_transaction(db, path) as conn:
                if conn.execute("SELECT kiosk_id FROM kiosk").fetchone() is None:
                    conn.execute(
                        "INSERT INTO kiosk (id, kiosk_id, created_at) VALUES (1, ?, ?)",
                        (kiosk_id, now_iso()),
                    )
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(path, exc)) from exc
        finally:
            db.close()
        return cls(path)

    @guarded
    def _open(self) -> str:
        if not is_kiosk_database(self._db):
            raise StoreError(f"{self.path}: not a kiosk database; create one with `kiosk init`")
        if not self.read_only:
            migrate(self._db, self.path)  # an older kiosk's file is brought up to date
        row = self._db.conn.execute("SELECT kiosk_id FROM kiosk").fetchone()
        if row is None:
            raise StoreError(f"{self.path}: the kiosk id is missing; run `kiosk init` again")
        return str(row[0])

    def close(self) -> None:
        self._db.close()
        if self._door_lock is not None:
            self._door_lock.release()  # after the connection: see DoorLock.release
            self._door_lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def lock_door(self) -> None:
        """Claim the door: one program at a time decides scans on this file (see _lock.py)."""
        if self._door_lock is not None:
            return
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; the door needs to write")
        try:
            self._door_lock = DoorLock(self.path)
        except DoorBusyError:
            raise StoreError(
                f"{self.path}: another program is running this kiosk's door "
                "(the touchscreen app or a `kiosk scan`); stop it first"
            ) from None

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything decided and recorded inside happens together or not at all."""
        try:
            with write_transaction(self._db, self.path):
                began = time.perf_counter()  # the lock is ours from here until COMMIT is done
                yield
            self.longest_write = max(self.longest_write, time.perf_counter() - began)
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(self.path, exc)) from exc

    def append(self, event: Event, stamp: Stamp) -> RecordedEvent:
        """Journal one event and apply it to the loan table (call inside :meth:`transaction`)."""
        return self._journal.append(event, stamp)

    # -- checkpoints -----------------------------------------------------------------------

    @guarded
    def defer_checkpoints(self) -> None:
        """Stop commits from copying the WAL back into the database file on their own.

        By default the commit that crosses 1,000 WAL pages also runs the checkpoint, and a child
        waits for it. The door calls :meth:`checkpoint` when nobody is at it instead.
        """
        self._db.conn.execute("PRAGMA wal_autocheckpoint=0")

    @guarded
    def checkpoint(self) -> None:
        """Copy the WAL into the database file, without waiting for anyone (PASSIVE)."""
        self._db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    @guarded
    def durability(self) -> tuple[str, str]:
        """(journal mode, synchronous setting) of this connection, as SQLite reports them."""
        conn = self._db.conn
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
        level = int(conn.execute("PRAGMA synchronous").fetchone()[0])
        return mode, {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(level, str(level))

    # -- reading ---------------------------------------------------------------------------

    def last_reading(self) -> Reading | None:
        """The clocks as the latest event stamped from the system clock saw them."""
        return self._journal.last_reading()

    def server_clock(self) -> Reading | None:
        """The server's time at its last answer to the sync worker, on this kiosk's clocks."""
        return self.sync.health().server_clock

    def trusted_reading(self) -> Reading | None:
        """The clocks as the latest event stamped from a synchronised system clock saw them."""
        return self._journal.trusted_reading()

    def events(self, after_seq: int = 0) -> Iterator[RecordedEvent]:
        return self._journal.events(after_seq)

    @guarded
    def loans(self, card: str | None = None, overdue_on: date | None = None) -> list[Loan]:
        """Books on loan as this kiosk knows it: the server's loans and its own (_loanview.py)."""
        return _loanview.loans(self._db.conn, card, overdue_on)

    def open_session(self) -> tuple[str, str] | None:
        """(session id, card) of a session the journal shows started and never ended."""
        return self._journal.open_session()

    def projection_differences(self) -> list[str]:
        """Where the loan table is not what the journal says (empty when all is well)."""
        return self._journal.projection_differences()

    def rebuild_loans(self) -> int:
        """Make the loan table what the journal says, in one transaction; the changes made."""
        with self.transaction():
            return self._journal.rebuild_loans()

    @guarded
    def integrity_problems(self) -> list[str]:
        rows = self._db.conn.execute("PRAGMA integrity_check").fetchall()
        return [] if [tuple(r) for r in rows] == [("ok",)] else [str(r[0]) for r in rows]

    # -- school data -----------------------------------------------------------------------

    @guarded
    def policy_source(self) -> str | None:
        row = self._db.conn.execute("SELECT source FROM policy WHERE id = 1").fetchone()
        return str(row[0]) if row else None

    def policy(self) -> Policy:
        """The school's rules as imported; NoPolicyError before any policy was imported."""
        source = self.policy_source()
        if source is None:
            raise NoPolicyError(
                f"{self.path}: no policy imported yet; run `kiosk import policy FILE`"
            )
        return parse_policy(source)

    def save_policy(self, source: str) -> Policy:
        """Replace the policy with ``source``, which must parse (PolicyError names each bad key).

        Existing loans keep the due dates they were given.
        """
        policy = parse_policy(source)
        with self.transaction():
            self._db.conn.execute(
                "INSERT INTO policy (id, source, imported_at) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET source = excluded.source, "
                "imported_at = excluded.imported_at",
                (source, now_iso()),
            )
        return policy

    def import_readers(
        self,
        readers: Iterable[Reader],
        *,
        deactivate_missing: bool = True,
        force: bool = False,
        mode: ImportMode = ImportMode.REPLACE,
    ) -> ImportCounts:
        """The roster as a file says it is (one transaction); see :func:`replace_rows`.
        ``deactivate_missing`` is False when rows of the file were rejected."""
        rows = reader_rows(readers)
        with self.transaction():
            conn = self._db.conn
            return replace_rows(
                conn, READERS, rows, mode=mode, complete=deactivate_missing, force=force,
                other_kind=held_by_copies(conn, rows),
            )  # fmt: skip

    def import_copies(
        self,
        copies: Iterable[Copy],
        *,
        deactivate_missing: bool = True,
        force: bool = False,
        mode: ImportMode = ImportMode.REPLACE,
    ) -> ImportCounts:
        """The catalogue as a file says it is (one transaction); see :func:`replace_rows`.
        ``deactivate_missing`` is False when rows of the file were rejected."""
        copies = list(copies)
        scanned_as = {c.barcode: (c.barcode, *([c.isbn] if c.isbn else [])) for c in copies}
        with self.transaction():
            conn = self._db.conn
            other_kind = held_by_readers(conn, {code for cs in scanned_as.values() for code in cs})
            return replace_rows(
                conn, COPIES, copy_rows(copies), mode=mode, complete=deactivate_missing,
                force=force, other_kind=other_kind, scanned_as=scanned_as,
            )  # fmt: skip
