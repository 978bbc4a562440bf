"""Converting between table rows and the core's values."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import Decimal

from kiosk.core.journal import RecordedEvent, Stamp, event_from_columns
from kiosk.core.models import ClassName, Copy, Loan, LoanType, Reader, ReaderRole
from kiosk.store._time import iso

EVENT_COLUMNS = (
    "seq, id, kiosk_id, type, reason, session_id, card, barcode, code, due, flags, "
    "wall_time, clock_time, mono_time, boot_id, clock_synced, prev_hash, hash"
)


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


def loan(row: sqlite3.Row | tuple[object, ...]) -> Loan:
    barcode, card, borrowed_at, due, seq = row
    return Loan(
        barcode=str(barcode),
        card=str(card),
        borrowed_at=datetime.fromisoformat(str(borrowed_at)),
        due=date.fromisoformat(str(due)),
        event_seq=int(str(seq)),
    )


def recorded_event(row: sqlite3.Row | tuple[object, ...]) -> RecordedEvent:
    (seq, event_id, kiosk_id, type_, reason, session_id, card, barcode, code, due, flags,
     wall, clock, mono, boot_id, synced, prev_hash, hash_) = row  # fmt: skip
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
    )
    return RecordedEvent(
        int(str(seq)), str(event_id), str(kiosk_id), event, stamp, str(prev_hash), str(hash_)
    )


def event_values(recorded: RecordedEvent) -> tuple[object, ...]:
    e, s = recorded.event, recorded.stamp
    return (
        recorded.seq, recorded.id, recorded.kiosk_id, e.type.value, e.reason.value,
        e.session_id, e.card, e.barcode, e.code, e.due.isoformat() if e.due else None,
        ",".join(f.value for f in e.flags), iso(s.wall), iso(s.clock), s.mono,
        s.boot_id, int(s.clock_synced), recorded.prev_hash, recorded.hash,
    )  # fmt: skip


def _text(value: object) -> str | None:
    return None if value is None else str(value)
