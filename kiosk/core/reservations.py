"""Reservations (预约) as the door sees them: who waits for a copy, and which copy is on the
reservations shelf for whom.

The librarian places them on the server; the kiosk pulls the waiting and ready ones and lays its
own news over them (:func:`overlay`), as it does with loans. The first in line (the oldest
reservation) wins a returned copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from kiosk.core.calendar import is_open_day, last_open_day
from kiosk.core.decisions import EventType
from kiosk.core.models import Copy
from kiosk.core.policy import Policy


@dataclass(frozen=True)
class Reservation:
    id: int  # the server's number: its order is the queue's
    card: str
    isbn: str | None  # any copy of this title ...
    barcode: str | None  # ... or this one copy
    ready_barcode: str | None = None  # the copy on the reservations shelf for ``card``
    until: date | None = None  # the last day it is held

    def wants(self, copy: Copy) -> bool:
        if self.barcode is not None:
            return self.barcode == copy.barcode
        return self.isbn is not None and self.isbn == copy.isbn

    def holds(self, barcode: str, today: date) -> bool:
        """The copy is on the shelf for this reader, and its last day has not passed."""
        return self.ready_barcode == barcode and (self.until is None or today <= self.until)


@dataclass(frozen=True)
class News:
    """One of this kiosk's events the last pull did not reflect yet."""

    type: EventType
    card: str | None
    barcode: str | None
    due: date | None
    copy: Copy | None  # the copy ``barcode`` names, to match a reservation on its title


def overlay(pulled: Sequence[Reservation], news: Iterable[News]) -> list[Reservation]:
    """The open reservations after this kiosk's own events (oldest first), as the server will
    fold them (sync.server.reservations)."""
    open_ = sorted(pulled, key=lambda r: r.id)
    for n in news:
        mine = [r for r in open_ if r.card == n.card]
        if n.type is EventType.RESERVATION_READY and n.copy is not None:
            if any(r.ready_barcode == n.barcode for r in mine):
                continue
            first = next((r for r in mine if r.ready_barcode is None and r.wants(n.copy)), None)
            if first is not None:
                ready = replace(first, ready_barcode=n.barcode, until=n.due)
                open_ = [ready if r.id == first.id else r for r in open_]
        elif n.type is EventType.RESERVATION_EXPIRED:
            open_ = [r for r in open_ if not (r.card == n.card and r.ready_barcode == n.barcode)]
        elif n.type is EventType.CHECKOUT:
            held = [r for r in open_ if r.ready_barcode == n.barcode]
            gone = {r.id for r in held if r.card == n.card}
            if not held and n.copy is not None:
                # The reader found a copy on the shelf before one was held: as the server folds
                # it, their oldest waiting reservation it matches is collected.
                own = next((r for r in mine if r.ready_barcode is None and r.wants(n.copy)), None)
                gone = {own.id} if own is not None else set()
            back = {r.id for r in held if r.card != n.card}  # lent away: waiting again
            open_ = [
                replace(r, ready_barcode=None, until=None) if r.id in back else r
                for r in open_
                if r.id not in gone
            ]
    return open_


def held(reservations: Iterable[Reservation], barcode: str, today: date) -> Reservation | None:
    """The reservation this copy is on the shelf for, if its last day has not passed."""
    return next((r for r in reservations if r.holds(barcode, today)), None)


def lapsed(reservations: Iterable[Reservation], barcode: str, today: date) -> Reservation | None:
    """A reservation this copy was held for past its last day (it expires when scanned)."""
    return next(
        (r for r in reservations if r.ready_barcode == barcode and not r.holds(barcode, today)),
        None,
    )


def first_waiting(reservations: Iterable[Reservation], copy: Copy) -> Reservation | None:
    """The first in line for this copy among those with nothing on the shelf yet."""
    waiting = [r for r in reservations if r.ready_barcode is None and r.wants(copy)]
    return min(waiting, key=lambda r: r.id, default=None)


def hold_until(policy: Policy, today: date) -> date:
    """The last day a copy returned today waits: ``hold_days`` open days after today, never
    past the term's last open day (nor before today)."""
    end = max(today, last_open_day(policy.term))
    day, counted = today, 0
    while counted < policy.hold_days and day < end:
        day += timedelta(days=1)
        if is_open_day(policy.term, day):
            counted += 1
    return day
