"""Converting between table rows and the core's values.

A row that cannot be converted (a value no kiosk wrote, left by a damaged page or an outside
tool) is an :class:`UnreadableRow` naming its table, never a bare ValueError.
"""

from __future__ import annotations

import decimal
import functools
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import ParamSpec, TypeVar

from kiosk.core.journal import RecordedEvent, Stamp, event_from_columns
from kiosk.core.models import ClassName, Copy, Loan, LoanType, Reader, ReaderRole
from kiosk.core.moments import ClockSource
from kiosk.store._db import UnreadableRow
from kiosk.store._time import iso

EVENT_COLUMNS = (
    "seq, id, kiosk_id, type, reason, session_id, card, barcode, code, due, flags, "
    "wall_time, clock_time, mono_time, boot_id, clock_synced, prev_hash, hash, "
    "format, clock_source"
)
# The same columns as a file from before journal format 2 can answer them, for reading such a
# file where it cannot be migrated (read-only media): its events are all format 1, system time.
EVENT_COLUMNS_FORMAT_1 = EVENT_COLUMNS.replace(
    "format, clock_source", "1 AS format, 'system' AS clock_source"
)

P = ParamSpec("P")
T = TypeVar("T")
_UNREADABLE = (ValueError, TypeError, decimal.InvalidOperation)


def checked(make: Callable[[], T], table: str) -> T:
    try:
        return make()
    except _UNREADABLE as exc:
        raise UnreadableRow(table, str(exc)) from exc


def _table(name: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    def decorate(convert: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(convert)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return checked(lambda: convert(*args, **kwargs), name)

        return wrapper

    return decorate


@_table("readers")
def reader(row: sqlite3.Row | tuple[object, ...]) -> Reader:
    card, given_name, role, class_name, grade, active = row
    parsed: ClassName | None = None
    if class_name:
        g, _, n = str(class_name).partition("-")
        parsed = ClassName(int(g), int(n))
    return Reader(
        card=str(card),
        given_name=str(given_name),
        role=ReaderRole(str(role)),
        class_name=parsed,
        grade=int(str(grade)) if grade is not None else None,
        active=bool(active),
    )


@_table("copies")
def copy(row: sqlite3.Row | tuple[object, ...]) -> Copy:
    barcode, isbn, title, author, category, loan_type, price, active, isbn_only = row
    return Copy(
        barcode=str(barcode),
        isbn=str(isbn) if isbn else None,
        title=str(title),
        author=str(author),
        category=str(category),
        loan_type=LoanType(str(loan_type)),
        price=Decimal(str(price)) if price is not None else None,
        active=bool(active),
        isbn_only=bool(isbn_only),
    )


@_table("loans")
def loan(row: sqlite3.Row | tuple[object, ...]) -> Loan:
    barcode, card, borrowed_at, due, seq, renewals = row
    return Loan(
        barcode=str(barcode),
        card=str(card),
        borrowed_at=datetime.fromisoformat(str(borrowed_at)),
        due=date.fromisoformat(str(due)),
        event_seq=int(str(seq)),
        renewals=int(str(renewals)),
    )


def loan_values(x: Loan) -> tuple[str, str, str, str, int, int]:
    """A loan as the columns of :data:`LOAN_COLUMNS`."""
    return (x.barcode, x.card, iso(x.borrowed_at), x.due.isoformat(), x.event_seq, x.renewals)


# The columns of a loan row, in every table that keeps loans (loans, checkpoint_loans).
LOAN_COLUMNS = "barcode, card, borrowed_at, due, event_seq, renewals"
# The same where a file from before migration m008 is read as it is (read-only media).
LOAN_COLUMNS_BEFORE_RENEWALS = "barcode, card, borrowed_at, due, event_seq, 0 AS renewals"


@_table("events")
def recorded_event(row: sqlite3.Row | tuple[object, ...]) -> RecordedEvent:
    (seq, event_id, kiosk_id, type_, reason, session_id, card, barcode, code, due, flags,
     wall, clock, mono, boot_id, synced, prev_hash, hash_, journal_format,
     source) = row  # fmt: skip
    event = event_from_columns(
        type=str(type_),
        reason=str(reason),
        session_id=_text(session_id),
        card=_text(card),
        barcode=_text(barcode),
        code=_text(code),
        due=_text(due),
        flags=str(flags),
    )
    stamp = Stamp(
        wall=datetime.fromisoformat(str(wall)),
        clock=datetime.fromisoformat(str(clock)),
        mono=float(str(mono)),
        boot_id=str(boot_id),
        clock_synced=bool(synced),
        source=ClockSource(str(source)),
    )
    return RecordedEvent(
        int(str(seq)), str(event_id), str(kiosk_id), event, stamp, str(prev_hash), str(hash_),
        int(str(journal_format)),
    )  # fmt: skip


def event_values(recorded: RecordedEvent) -> tuple[object, ...]:
    e, s = recorded.event, recorded.stamp
    return (
        recorded.seq, recorded.id, recorded.kiosk_id, e.type.value, e.reason.value,
        e.session_id, e.card, e.barcode, e.code, e.due.isoformat() if e.due else None,
        ",".join(f.value for f in e.flags), iso(s.wall), iso(s.clock), s.mono,
        s.boot_id, int(s.clock_synced), recorded.prev_hash, recorded.hash,
        recorded.format, s.source.value,
    )  # fmt: skip


def _text(value: object) -> str | None:
    return None if value is None else str(value)
