"""The journal table and the loan table it projects to: appending, reading back, rebuilding."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from kiosk.core.decisions import Event, EventType
from kiosk.core.journal import GENESIS_HASH, RecordedEvent, Stamp, record
from kiosk.core.models import Loan
from kiosk.core.moments import ClockSource, Reading
from kiosk.store import _rows
from kiosk.store._checkpoint import projection
from kiosk.store._db import StoreError, UnreadableRow, describe, guarded, unreadable
from kiosk.store._library import LOAN_QUERY
from kiosk.store._time import iso

_INSERT_LOAN = f"INSERT INTO loans ({_rows.LOAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
# A checkout replaces whatever this kiosk's own journal last said of the copy, as the projection
# does (kiosk.core.journal.apply): the door lent it on what it knows now, which may include a
# return at another door that this journal never saw (kiosk.store._loanview).
_LEND = (
    "INSERT OR REPLACE INTO loans (barcode, card, borrowed_at, due, event_seq) "
    "VALUES (?, ?, ?, ?, ?)"
)
_RENEW = "UPDATE loans SET due = ?, renewals = renewals + 1 WHERE barcode = ? AND card = ?"
_LEND_RENEWED = (
    "INSERT OR REPLACE INTO loans (barcode, card, borrowed_at, due, event_seq, renewals) "
    "VALUES (?, ?, ?, ?, ?, 1)"
)
_READING = "SELECT wall_time, mono_time, clock_synced, boot_id FROM events"


class Journal:
    """One kiosk's events. Writes belong inside the store's transaction."""

    def __init__(self, conn: sqlite3.Connection, path: Path, kiosk_id: str) -> None:
        self._conn = conn
        self.path = path
        self.kiosk_id = kiosk_id
        self._columns = _rows.EVENT_COLUMNS
        self._system_only = "WHERE clock_source = 'system'"
        if not _has_column(conn, "events", "clock_source"):
            # An old file opened read-only, so not migrated: read it as it was written.
            self._columns = _rows.EVENT_COLUMNS_FORMAT_1
            self._system_only = "WHERE 1"
        self._loan_query = LOAN_QUERY
        if not _has_column(conn, "loans", "renewals"):  # the same, before migration m008
            self._loan_query = f"SELECT {_rows.LOAN_COLUMNS_BEFORE_RENEWALS} FROM loans"

    def append(self, event: Event, stamp: Stamp) -> RecordedEvent:
        """Journal one event and apply it to the loan table."""
        conn = self._conn
        assert conn.in_transaction, "journal writes belong in a transaction"
        last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        utc_stamp = Stamp(
            stamp.wall.astimezone(UTC),
            stamp.clock.astimezone(UTC),
            stamp.mono,
            stamp.boot_id,
            stamp.clock_synced,
            stamp.source,
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
            loan = (event.barcode, event.card, iso(utc_stamp.wall), event.due.isoformat(), seq)
            conn.execute(_LEND, loan)
        elif event.type is EventType.RETURN:
            conn.execute("DELETE FROM loans WHERE barcode = ?", (event.barcode,))
        elif event.type is EventType.RENEWAL:
            assert event.due is not None
            kept = conn.execute(_RENEW, (event.due.isoformat(), event.barcode, event.card))
            if kept.rowcount == 0:  # as kiosk.core.journal.apply: a loan made at another door
                loan = (event.barcode, event.card, iso(utc_stamp.wall), event.due.isoformat(), seq)
                conn.execute(_LEND_RENEWED, loan)
        return recorded

    @guarded
    def last_reading(self) -> Reading | None:
        """The clocks as the journal's latest event stamped from the system clock saw them."""
        return self._reading(f"{_READING} {self._system_only} ORDER BY seq DESC LIMIT 1")

    @guarded
    def trusted_reading(self) -> Reading | None:
        """The same for the latest event stamped from a synchronised system clock."""
        return self._reading(
            f"{_READING} {self._system_only} AND clock_synced = 1 ORDER BY seq DESC LIMIT 1"
        )

    def _reading(self, sql: str) -> Reading | None:
        row = self._conn.execute(sql).fetchone()
        if row is None:
            return None
        wall = _rows.checked(lambda: datetime.fromisoformat(row[0]), "events")
        return Reading(wall, float(row[1]), bool(row[2]), str(row[3]), ClockSource.SYSTEM)

    def events(self, after_seq: int = 0) -> Iterator[RecordedEvent]:
        sql = f"SELECT {self._columns} FROM events WHERE seq > ? ORDER BY seq"
        try:
            for row in self._conn.execute(sql, (after_seq,)):
                yield _rows.recorded_event(row)
        except sqlite3.DatabaseError as exc:  # a damaged page met half-way through
            raise StoreError(describe(self.path, exc)) from exc
        except UnreadableRow as row:
            raise unreadable(self.path, row) from row

    @guarded
    def open_session(self) -> tuple[str, str] | None:
        """(session id, card) of a session the journal shows started and never ended."""
        row = self._conn.execute(
            "SELECT session_id, card FROM events WHERE type = 'session_started' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        ended = self._conn.execute(
            "SELECT 1 FROM events WHERE type = 'session_ended' AND session_id = ?", (row[0],)
        ).fetchone()
        return None if ended else (str(row[0]), str(row[1]))

    @guarded
    def loans(self, where: str = "", params: tuple[object, ...] = ()) -> list[Loan]:
        sql = f"{self._loan_query} {where} ORDER BY due, card, barcode"
        return [_rows.loan(r) for r in self._conn.execute(sql, params)]

    def projection_differences(self) -> list[str]:
        """Where the loan table is not what the journal says (empty when all is well)."""
        # From the loans of events retention removed, if any (kiosk.store._checkpoint).
        expected = projection(self._conn, self.events())
        actual = {loan.barcode: loan for loan in self.loans()}
        return [
            f"{code}: journal says {expected.get(code)}, loan table says {actual.get(code)}"
            for code in sorted(expected.keys() | actual.keys())
            if expected.get(code) != actual.get(code)
        ]

    def rebuild_loans(self) -> int:
        """Make the loan table what the journal says (inside a transaction); the changes made."""
        changed = len(self.projection_differences())
        expected = projection(self._conn, self.events())
        self._conn.execute("DELETE FROM loans")
        self._conn.executemany(
            _INSERT_LOAN,
            [_rows.loan_values(loan) for loan in expected.values()],
        )
        return changed


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    try:
        return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))
    except sqlite3.DatabaseError:
        return True  # a damaged schema: let the queries themselves say so
