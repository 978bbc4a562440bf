"""What the librarian does to copies and readers, and the registers it fills.

A mark on a copy (lost, damaged and sent for repair, repaired, found, withdrawn 注销,
reference-only, lendable) is appended to ``copy_marks`` with who, when and the list price, and
changes the copy kiosks pull (a new revision): a copy off the shelf is inactive, so a kiosk
refuses to lend it (``withdrawn_copy``) and still takes it back. Marks outlast imports: a
catalogue file exported from an old system does not bring a withdrawn copy back
(:func:`held_back`). The registers are read from the marks.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, func, select, update

from kiosk.core.models import Copy, LoanType
from sync.protocol import MAX_NEW_ARRIVALS
from sync.server import revisions
from sync.server.tables import copies, copy_marks, loans, new_arrivals, readers

MAX_NOTE = 500


class Mark(enum.StrEnum):
    LOST = "lost"  # 丢失 (paid for at the list price)
    DAMAGED = "damaged"  # 损坏, sent for repair (修补)
    REPAIRED = "repaired"
    FOUND = "found"  # a lost copy turned up
    WITHDRAWN = "withdrawn"  # 注销/剔除: gone for good
    REFERENCE = "reference"  # 工具书/阅览: read in the room only
    LENDABLE = "lendable"


class Shelf(enum.StrEnum):
    """Where a copy is, as its marks say."""

    ON_SHELF = "on_shelf"
    LOST = "lost"
    IN_REPAIR = "in_repair"
    WITHDRAWN = "withdrawn"


_STATE_MARKS = {
    Mark.LOST: Shelf.LOST,
    Mark.DAMAGED: Shelf.IN_REPAIR,
    Mark.REPAIRED: Shelf.ON_SHELF,
    Mark.FOUND: Shelf.ON_SHELF,
    Mark.WITHDRAWN: Shelf.WITHDRAWN,
}
# What each state lets the librarian do next.
ALLOWED: dict[Shelf, tuple[Mark, ...]] = {
    Shelf.ON_SHELF: (Mark.DAMAGED, Mark.LOST, Mark.WITHDRAWN, Mark.REFERENCE, Mark.LENDABLE),
    Shelf.IN_REPAIR: (Mark.REPAIRED, Mark.LOST, Mark.WITHDRAWN),
    Shelf.LOST: (Mark.FOUND, Mark.WITHDRAWN),
    Shelf.WITHDRAWN: (Mark.FOUND,),  # withdrawn by mistake: back on the shelf
}


class MarkRefusedError(ValueError):
    """A mark that does not fit the copy's state (e.g. repairing a copy on the shelf)."""


@dataclass(frozen=True)
class CopyState:
    shelf: Shelf
    loan_type: LoanType | None  # a reference/lendable mark, else None (the catalogue decides)


def states(conn: Connection, barcodes: Iterable[str] | None = None) -> dict[str, CopyState]:
    """Each marked copy's state from its marks (all marked copies without ``barcodes``)."""
    query = select(copy_marks.c.barcode, copy_marks.c.mark).order_by(copy_marks.c.id)
    if barcodes is not None:
        query = query.where(copy_marks.c.barcode.in_(sorted(set(barcodes))))
    shelf: dict[str, Shelf] = {}
    kind: dict[str, LoanType] = {}
    for r in conn.execute(query):
        mark = Mark(r.mark)
        if mark in _STATE_MARKS:
            shelf[r.barcode] = _STATE_MARKS[mark]
        elif mark is Mark.REFERENCE:
            kind[r.barcode] = LoanType.REFERENCE
        else:
            kind[r.barcode] = LoanType.LOAN
    return {b: CopyState(shelf.get(b, Shelf.ON_SHELF), kind.get(b)) for b in set(shelf) | set(kind)}


def state_of(conn: Connection, barcode: str) -> CopyState:
    return states(conn, [barcode]).get(barcode, CopyState(Shelf.ON_SHELF, None))


def held_back(conn: Connection, items: Iterable[Copy]) -> list[Copy]:
    """The catalogue file's copies with the librarian's marks kept (call before importing)."""
    items = list(items)
    marked = states(conn, [c.barcode for c in items])
    kept: list[Copy] = []
    for c in items:
        s = marked.get(c.barcode)
        if s is not None:
            if s.shelf is not Shelf.ON_SHELF:
                c = dataclasses.replace(c, active=False)
            if s.loan_type is not None:
                c = dataclasses.replace(c, loan_type=s.loan_type)
        kept.append(c)
    return kept


def mark(
    conn: Connection,
    barcode: str,
    what: Mark,
    by: str,
    now: datetime,
    *,
    note: str = "",
    review_item: int | None = None,
) -> None:
    """Put ``what`` on the copy and send the change to the kiosks (MarkRefusedError if it does not
    fit the copy's state, LookupError if there is no such copy)."""
    revisions.lock(conn)
    row = conn.execute(select(copies).where(copies.c.barcode == barcode)).first()
    if row is None or row.deleted:
        raise LookupError(barcode)
    state = state_of(conn, barcode)
    if what not in ALLOWED[state.shelf]:
        raise MarkRefusedError(what.value)
    values: dict[str, Any] = {}
    if what in _STATE_MARKS:
        values["active"] = _STATE_MARKS[what] is Shelf.ON_SHELF
    elif what is Mark.REFERENCE:
        values["loan_type"] = LoanType.REFERENCE.value
    else:
        values["loan_type"] = LoanType.LOAN.value
    (revision,) = revisions.take(conn, 1)
    conn.execute(
        update(copies)
        .where(copies.c.barcode == barcode)
        .values(**values, revision=revision, updated_at=now)
    )
    conn.execute(
        copy_marks.insert().values(
            barcode=barcode,
            mark=what.value,
            at=now,
            by=by,
            note=note[:MAX_NOTE] or None,
            price=row.price,
            review_item=review_item,
        )
    )


def history(conn: Connection, barcode: str) -> list[Any]:
    return list(
        conn.execute(
            select(copy_marks).where(copy_marks.c.barcode == barcode).order_by(copy_marks.c.id)
        )
    )


@dataclass(frozen=True)
class Entry:
    barcode: str
    title: str
    author: str
    price: str | None
    at: datetime
    by: str
    note: str | None
    until: datetime | None = None  # repairs: when it came back; lost: when it was found
    holder: str | None = None  # lost: the card that had it on loan


def register(conn: Connection, which: Mark) -> list[Entry]:
    """The repairs (DAMAGED), withdrawals (WITHDRAWN) or lost copies (LOST), newest first."""
    closing = {Mark.DAMAGED: Mark.REPAIRED, Mark.LOST: Mark.FOUND}.get(which)
    rows = conn.execute(
        select(copy_marks, copies.c.title, copies.c.author)
        .select_from(copy_marks)
        .outerjoin(copies, copies.c.barcode == copy_marks.c.barcode)
        .where(copy_marks.c.mark.in_([which.value] + ([closing.value] if closing else [])))
        .order_by(copy_marks.c.id)
    ).all()
    entries: list[Entry] = []
    open_by_copy: dict[str, int] = {}
    for r in rows:
        if r.mark == which.value:
            open_by_copy[r.barcode] = len(entries)
            entries.append(
                Entry(r.barcode, r.title or "", r.author or "", r.price, r.at, r.by, r.note)
            )
        elif r.barcode in open_by_copy:
            i = open_by_copy.pop(r.barcode)
            entries[i] = dataclasses.replace(entries[i], until=r.at)
    if which is Mark.LOST and entries:
        holders = {
            r.barcode: r.card
            for r in conn.execute(
                select(loans.c.barcode, loans.c.card).where(
                    loans.c.barcode.in_({e.barcode for e in entries}), loans.c.on_loan.is_(True)
                )
            )
        }
        entries = [dataclasses.replace(e, holder=holders.get(e.barcode)) for e in entries]
    entries.reverse()
    return entries


def total_price(entries: Iterable[Entry]) -> Decimal:
    total = Decimal(0)
    for e in entries:
        try:
            total += Decimal(e.price) if e.price else 0
        except InvalidOperation:
            continue
    return total


# --- new arrivals (新书推荐) ----------------------------------------------------------------


class ArrivalsFullError(ValueError):
    pass


def arrivals(conn: Connection) -> list[Any]:
    return list(
        conn.execute(
            select(new_arrivals, copies.c.title, copies.c.author, copies.c.active)
            .select_from(new_arrivals)
            .join(copies, copies.c.barcode == new_arrivals.c.barcode)
            .order_by(new_arrivals.c.position)
        )
    )


def choose_arrival(conn: Connection, barcode: str, by: str, now: datetime) -> bool:
    """Put the copy at the end of the list; False if it is there already."""
    if conn.execute(select(copies.c.barcode).where(copies.c.barcode == barcode)).first() is None:
        raise LookupError(barcode)
    if conn.execute(
        select(new_arrivals.c.barcode).where(new_arrivals.c.barcode == barcode)
    ).first():
        return False
    count, last = conn.execute(select(func.count(), func.max(new_arrivals.c.position))).one()
    if count >= MAX_NEW_ARRIVALS:
        raise ArrivalsFullError(str(MAX_NEW_ARRIVALS))
    conn.execute(
        new_arrivals.insert().values(
            barcode=barcode, position=(last or 0) + 1, chosen_at=now, chosen_by=by
        )
    )
    return True


def drop_arrival(conn: Connection, barcode: str) -> bool:
    done = conn.execute(new_arrivals.delete().where(new_arrivals.c.barcode == barcode))
    return done.rowcount == 1


def move_arrival(conn: Connection, barcode: str, step: int) -> None:
    """Swap the copy with its neighbour above (-1) or below (+1)."""
    order = [r.barcode for r in arrivals(conn)]
    if barcode not in order:
        raise LookupError(barcode)
    i = order.index(barcode)
    j = i + step
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        for position, b in enumerate(order, 1):
            conn.execute(
                update(new_arrivals).where(new_arrivals.c.barcode == b).values(position=position)
            )


# --- readers ----------------------------------------------------------------------------


def set_reader_active(conn: Connection, card: str, active: bool, now: datetime) -> bool:
    """Deactivate (or reactivate) a reader on every kiosk; False if nothing changed."""
    revisions.lock(conn)
    row = conn.execute(select(readers.c.active, readers.c.deleted).where(readers.c.card == card))
    found = row.first()
    if found is None or found.deleted:
        raise LookupError(card)
    if found.active == active:
        return False
    (revision,) = revisions.take(conn, 1)
    conn.execute(
        update(readers)
        .where(readers.c.card == card)
        .values(active=active, revision=revision, updated_at=now)
    )
    return True
