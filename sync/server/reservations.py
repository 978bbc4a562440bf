"""Reservations (预约): placed and cancelled by the librarian (pages, command line), moved on by
the kiosks' events.

A reservation waits for any copy of a title (``isbn``) or for one copy (``barcode``). A kiosk
that takes back a copy someone waits for journals ``reservation_ready`` (the reader's card, the
copy, and the last day it is held as ``due``); the reader's checkout of it collects the
reservation; ``reservation_expired`` is journaled when a copy held too long is scanned again.
Events arrive late and from several doors, so :func:`take_in` also finds the conflicts a door
that had not heard could make, and puts them in the review inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sync.server.review import Item, Kind, report
from sync.server.tables import copies, readers, reservations

WAITING, READY, COLLECTED, CANCELLED, EXPIRED = (
    "waiting", "ready", "collected", "cancelled", "expired",
)  # fmt: skip
STATES = (WAITING, READY, COLLECTED, CANCELLED, EXPIRED)
OPEN = (WAITING, READY)


@dataclass(frozen=True)
class Refused:
    """Why nothing was placed or cancelled: ``reason`` names it, ``code`` fills the sentence."""

    # unknown_reader, inactive_reader, unknown_copy, unknown_isbn, reference_book, duplicate,
    # already_has_it, no_such_reservation, not_open, not_yours, isbn_or_barcode
    reason: str
    code: str = ""


def place(
    conn: Connection,
    card: str,
    now: datetime,
    by: str,
    *,
    isbn: str | None = None,
    barcode: str | None = None,
) -> int | Refused:
    """A new waiting reservation (its id), or why not; nothing is written when refused."""
    if (isbn is None) == (barcode is None):
        return Refused("isbn_or_barcode")
    reader = conn.execute(select(readers).where(readers.c.card == card)).first()
    if reader is None or reader.deleted:
        return Refused("unknown_reader", card)
    if not reader.active:
        return Refused("inactive_reader", card)
    wanted = copies.c.barcode == barcode if barcode is not None else copies.c.isbn == isbn
    found = conn.execute(
        select(copies).where(wanted, copies.c.deleted.is_(False), copies.c.active.is_(True))
    ).all()
    if not found:
        return Refused(
            "unknown_copy" if barcode is not None else "unknown_isbn", barcode or isbn or ""
        )
    if all(c.loan_type == "reference" for c in found):
        return Refused("reference_book", found[0].title)
    same = reservations.c.barcode == barcode if barcode is not None else reservations.c.isbn == isbn
    twice = conn.execute(
        select(reservations.c.id).where(
            reservations.c.card == card, reservations.c.state.in_(OPEN), same
        )
    ).first()
    if twice is not None:
        return Refused("duplicate", str(twice.id))
    new = conn.execute(
        insert(reservations)
        .values(card=card, isbn=isbn, barcode=barcode, state=WAITING, placed_at=now, placed_by=by)
        .returning(reservations.c.id)
    ).scalar_one()
    return int(new)


def cancel(
    conn: Connection, reservation: int, now: datetime, by: str, *, card: str | None = None
) -> Refused | None:
    """Cancel a waiting or ready reservation (only ``card``'s, when given: a teacher's own)."""
    row = conn.execute(select(reservations).where(reservations.c.id == reservation)).first()
    if row is None:
        return Refused("no_such_reservation", str(reservation))
    if card is not None and row.card != card:
        return Refused("not_yours", str(reservation))
    if row.state not in OPEN:
        return Refused("not_open", row.state)
    conn.execute(
        update(reservations)
        .where(reservations.c.id == reservation)
        .values(state=CANCELLED, closed_at=now, closed_by=by)
    )
    return None


def shown_state(row: Any, today: date) -> str:
    """A ready reservation whose last day has passed is expired, whether or not a door said so."""
    if row.state == READY and row.ready_until is not None and row.ready_until < today.isoformat():
        return EXPIRED
    return str(row.state)


def listing(
    conn: Connection, today: date, *, card: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    """Every reservation (of ``card``; in ``state``), newest first, with the reader and title."""
    title = (
        select(copies.c.title)
        .where(
            (copies.c.barcode == reservations.c.barcode) | (copies.c.isbn == reservations.c.isbn)
        )
        .order_by(copies.c.barcode)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(reservations, readers.c.given_name, readers.c.class_name, title.label("title"))
        .join(readers, readers.c.card == reservations.c.card, isouter=True)
        .order_by(reservations.c.id.desc())
    )
    if card is not None:
        query = query.where(reservations.c.card == card)
    out = []
    for r in conn.execute(query):
        shown = shown_state(r, today)
        if state is not None and shown != state:
            continue
        out.append({**r._mapping, "state": shown, "title": r.title or ""})
    return out


def open_ones(conn: Connection) -> list[Any]:
    """The waiting and ready reservations, oldest first (the first in line wins)."""
    return list(
        conn.execute(
            select(reservations).where(reservations.c.state.in_(OPEN)).order_by(reservations.c.id)
        )
    )


def _matches(row: Any, barcode: str, isbn: str | None) -> bool:
    return row.barcode == barcode or (row.isbn is not None and row.isbn == isbn)


def take_in(conn: Connection, new: Iterable[Any], now: datetime) -> None:
    """Move reservations on by the kiosks' new events (in the order they happened)."""
    wanted = [
        e for e in new if e.type.value in ("reservation_ready", "reservation_expired", "checkout")
    ]
    if not wanted:
        return
    rows = {r.id: r for r in open_ones(conn)}
    if not rows:
        return
    isbns = dict(
        conn.execute(
            select(copies.c.barcode, copies.c.isbn).where(
                copies.c.barcode.in_({e.barcode for e in wanted if e.barcode})
            )
        ).all()
    )
    found: list[Item] = []
    for e in sorted(wanted, key=lambda e: (e.wall_time, e.seq)):
        isbn = isbns.get(e.barcode)
        changes, items = _step(list(rows.values()), e, isbn)
        found += items
        for rid, values in changes.items():
            conn.execute(update(reservations).where(reservations.c.id == rid).values(**values))
            row = conn.execute(select(reservations).where(reservations.c.id == rid)).one()
            rows[rid] = row
    report(conn, found, now)


def _when(e: Any) -> datetime:
    return datetime.fromisoformat(e.wall_time)


def _step(
    rows: list[Any], e: Any, isbn: str | None
) -> tuple[dict[int, dict[str, Any]], list[Item]]:
    kind = e.type.value
    mine = [r for r in rows if r.card == e.card and r.state in OPEN]
    if kind == "reservation_ready":
        if any(r.state == READY and r.ready_barcode == e.barcode for r in mine):
            return {}, []  # said again (the copy scanned twice): nothing new
        waiting = [r for r in mine if r.state == WAITING and _matches(r, e.barcode, isbn)]
        if waiting:
            values = {"state": READY, "ready_barcode": e.barcode, "ready_until": e.due,
                      "ready_event": e.id}  # fmt: skip
            return {waiting[0].id: values}, []
        held = [r for r in mine if r.state == READY and _matches(r, e.barcode, isbn)]
        if held:  # a second door readied it with another copy: that one goes back to the shelf
            first = held[0]
            detail = {"reservation": first.id, "kept": first.ready_barcode, "released": e.barcode}
            return {}, [Item(Kind.RESERVATION_READIED_TWICE, f"{first.id}:{e.barcode}", e.kiosk_id,
                             e.seq, e.id, e.barcode, e.card, detail)]  # fmt: skip
        return {}, []
    if kind == "reservation_expired":
        held = [r for r in mine if r.state == READY and r.ready_barcode == e.barcode]
        if held:
            return {held[0].id: {"state": EXPIRED, "closed_at": _when(e),
                                 "closed_by": e.kiosk_id}}, []  # fmt: skip
        return {}, []
    # A checkout: the reader's own reservation is collected; a copy held for someone else and
    # lent by a door that had not heard of it leaves that reservation waiting for another copy.
    held_for = [r for r in rows if r.state == READY and r.ready_barcode == e.barcode]
    changes: dict[int, dict[str, Any]] = {}
    items: list[Item] = []
    for r in held_for:
        if r.card == e.card:
            changes[r.id] = {"state": COLLECTED, "closed_at": _when(e), "closed_by": e.kiosk_id}
        else:
            changes[r.id] = {"state": WAITING, "ready_barcode": None, "ready_until": None,
                             "ready_event": None}  # fmt: skip
            detail = {"reservation": r.id, "waiting": r.card, "lent_to": e.card}
            items.append(Item(Kind.RESERVED_COPY_LENT, f"{r.id}:{e.id}", e.kiosk_id, e.seq, e.id,
                              e.barcode, e.card, detail))  # fmt: skip
    if not held_for:
        own = [r for r in mine if r.state == WAITING and _matches(r, e.barcode, isbn)]
        if own:  # the reader found a copy on the shelf before any was held for them
            changes[own[0].id] = {"state": COLLECTED, "ready_barcode": e.barcode,
                                  "closed_at": _when(e), "closed_by": e.kiosk_id}  # fmt: skip
    return changes, items
