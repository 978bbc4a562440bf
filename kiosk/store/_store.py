"""The store's face: open or create the file, write transactions, the journal, loans, imports."""

from __future__ import annotations

import fcntl
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO, TypeVar

from kiosk.core.decisions import Event, EventType
from kiosk.core.journal import GENESIS_HASH, RecordedEvent, Stamp, project, record
from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.moments import Reading
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from kiosk.store import _rows
from kiosk.store._db import NoPolicyError, StoreError, connect, describe, write_transaction
from kiosk.store._library import _LOAN, SqliteLibrary
from kiosk.store._reference import (
    COPIES,
    READERS,
    ImportCounts,
    copy_rows,
    reader_rows,
    replace_rows,
)
from kiosk.store._schema import migrations
from kiosk.store._time import iso, now_iso

T = TypeVar("T")


class Store:
    """One kiosk's SQLite file. Not thread-safe: one Store per thread or process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._door_lock: TextIO | None = None
        self._db = connect(path, must_exist=True)
        self._guard(self._check_schema)
        self.library = SqliteLibrary(self._db.conn)

    @classmethod
    def create(cls, path: Path, kiosk_id: str) -> Store:
        db = connect(path, must_exist=False)
        try:
            migrations.apply(db)
            if db.conn.execute("SELECT kiosk_id FROM kiosk").fetchone() is None:
                with write_transaction(db, path) as conn:
                    conn.execute(
                        "INSERT INTO kiosk (id, kiosk_id, created_at) VALUES (1, ?, ?)",
                        (kiosk_id, now_iso()),
                    )
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(path, exc)) from exc
        finally:
            db.close()
        return cls(path)

    def close(self) -> None:
        if self._door_lock is not None:
            self._door_lock.close()  # closing the file releases the lock
            self._door_lock = None
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def lock_door(self) -> None:
        """Claim the door: one program at a time decides scans on this file.

        Two doors on one file would each believe they own the open session (and end each
        other's). The lock is a ``flock`` on a file beside the database; the system releases it
        when the process dies, so a crash never leaves it stuck.
        """
        if self._door_lock is not None:
            return
        lock = self.path.with_name(self.path.name + ".door-lock").open("a")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StoreError(
                f"{self.path}: another program is running this kiosk's door "
                "(the touchscreen app or a `kiosk scan`); stop it first"
            ) from None
        self._door_lock = lock

    def _check_schema(self) -> None:
        if not migrations.applied(self._db):
            raise StoreError(f"{self.path}: not a kiosk database; create one with `kiosk init`")
        migrations.apply(self._db)  # an older kiosk's file is brought up to date
        row = self._db.conn.execute("SELECT kiosk_id FROM kiosk").fetchone()
        if row is None:
            raise StoreError(f"{self.path}: the kiosk id is missing; run `kiosk init` again")
        self.kiosk_id: str = row[0]

    def _guard(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(self.path, exc)) from exc

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything decided and recorded inside happens together or not at all."""
        try:
            with write_transaction(self._db, self.path):
                yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(self.path, exc)) from exc

    def append(self, event: Event, stamp: Stamp) -> RecordedEvent:
        """Journal one event and apply it to the loan table (call inside :meth:`transaction`)."""
        conn = self._db.conn
        assert conn.in_transaction, "journal writes belong in a transaction"
        last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        utc_stamp = Stamp(
            stamp.wall.astimezone(UTC),
            stamp.clock.astimezone(UTC),
            stamp.mono,
            stamp.boot_id,
            stamp.clock_synced,
        )
        recorded = record(seq, str(uuid.uuid4()), self.kiosk_id, event, utc_stamp, prev)
        values = _rows.event_values(recorded)
        conn.execute(
            f"INSERT INTO events ({_rows.EVENT_COLUMNS}) VALUES ({', '.join('?' * len(values))})",
            values,
        )
        # The wall time is kept as written (microsecond text) so rebuilt loans compare equal.
        if event.type is EventType.CHECKOUT:
            assert event.due is not None
            conn.execute(
                "INSERT INTO loans (barcode, card, borrowed_at, due, event_seq) "
                "VALUES (?, ?, ?, ?, ?)",
                (event.barcode, event.card, iso(utc_stamp.wall), event.due.isoformat(), seq),
            )
        elif event.type is EventType.RETURN:
            conn.execute("DELETE FROM loans WHERE barcode = ?", (event.barcode,))
        return recorded

    # -- checkpoints -----------------------------------------------------------------------

    def defer_checkpoints(self) -> None:
        """Stop commits from copying the WAL back into the database file on their own.

        By default the commit that crosses 1,000 WAL pages also runs the checkpoint, and a child
        waits for it. The door calls :meth:`checkpoint` when nobody is at it instead.
        """
        self._db.conn.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint(self) -> None:
        """Copy the WAL into the database file, without waiting for anyone (PASSIVE)."""
        self._guard(lambda: self._db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    # -- reading ---------------------------------------------------------------------------

    def last_reading(self) -> Reading | None:
        """The time, monotonic time and boot of the journal's last event."""
        row = self._db.conn.execute(
            "SELECT wall_time, mono_time, clock_synced, boot_id FROM events "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return Reading(datetime.fromisoformat(row[0]), float(row[1]), bool(row[2]), str(row[3]))

    def rebuild_loans(self) -> int:
        """Make the loan table what the journal says, in one transaction; the changes made."""
        with self.transaction():
            changed = len(self.projection_differences())
            expected = project(self.events())
            conn = self._db.conn
            conn.execute("DELETE FROM loans")
            conn.executemany(
                "INSERT INTO loans (barcode, card, borrowed_at, due, event_seq) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        loan.barcode,
                        loan.card,
                        iso(loan.borrowed_at),
                        loan.due.isoformat(),
                        loan.event_seq,
                    )
                    for loan in expected.values()
                ],
            )
        return changed

    def events(self, after_seq: int = 0) -> Iterator[RecordedEvent]:
        sql = f"SELECT {_rows.EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq"
        try:
            for row in self._db.conn.execute(sql, (after_seq,)):
                yield _rows.recorded_event(row)
        except sqlite3.DatabaseError as exc:  # a damaged page met half-way through
            raise StoreError(describe(self.path, exc)) from exc

    def loans(self, card: str | None = None, overdue_on: date | None = None) -> list[Loan]:
        sql, params = f"{_LOAN} WHERE 1", []
        if card is not None:
            sql, params = sql + " AND card = ?", [card]
        if overdue_on is not None:
            sql, params = sql + " AND due < ?", [*params, overdue_on.isoformat()]
        rows = self._guard(
            lambda: self._db.conn.execute(sql + " ORDER BY due, card, barcode", params).fetchall()
        )
        return [_rows.loan(r) for r in rows]

    def open_session(self) -> tuple[str, str] | None:
        """(session id, card) of a session the journal shows started and never ended."""
        row = self._db.conn.execute(
            "SELECT session_id, card FROM events WHERE type = 'session_started' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        ended = self._db.conn.execute(
            "SELECT 1 FROM events WHERE type = 'session_ended' AND session_id = ?", (row[0],)
        ).fetchone()
        return None if ended else (row[0], row[1])

    def projection_differences(self) -> list[str]:
        """Where the loan table is not what the journal says (empty when all is well)."""
        expected = project(self.events())
        actual = {loan.barcode: loan for loan in self.loans()}
        problems = [
            f"{code}: journal says {expected.get(code)}, loan table says {actual.get(code)}"
            for code in sorted(expected.keys() | actual.keys())
            if expected.get(code) != actual.get(code)
        ]
        return problems

    def integrity_problems(self) -> list[str]:
        rows = self._guard(lambda: self._db.conn.execute("PRAGMA integrity_check").fetchall())
        return [] if [tuple(r) for r in rows] == [("ok",)] else [str(r[0]) for r in rows]

    # -- reference data --------------------------------------------------------------------

    def policy_source(self) -> str | None:
        row = self._db.conn.execute("SELECT source FROM policy WHERE id = 1").fetchone()
        return row[0] if row else None

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
        self, readers: Iterable[Reader], *, deactivate_missing: bool = True
    ) -> ImportCounts:
        """The roster as a file says it is (one transaction); see :func:`replace_rows`."""
        with self.transaction():
            return replace_rows(self._db.conn, READERS, reader_rows(readers), deactivate_missing)

    def import_copies(
        self, copies: Iterable[Copy], *, deactivate_missing: bool = True
    ) -> ImportCounts:
        """The catalogue as a file says it is (one transaction); see :func:`replace_rows`."""
        with self.transaction():
            return replace_rows(self._db.conn, COPIES, copy_rows(copies), deactivate_missing)
