"""Borrowing, renewing and returning one copy: the decision a child sees and the events the
journal keeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from kiosk.core.books import Resolved
from kiosk.core.calendar import due_date
from kiosk.core.codes import kept_code
from kiosk.core.decisions import Decision, Event, EventType, Flag, Outcome, Reason
from kiosk.core.library import Library
from kiosk.core.models import Copy, Reader
from kiosk.core.policy import Policy
from kiosk.core.renewal import renewal_due
from kiosk.core.reservations import Reservation, first_waiting, held, hold_until, lapsed
from kiosk.core.rules import borrow_refusal


def borrow(
    policy: Policy,
    library: Library,
    reader: Reader,
    resolved: Resolved,
    code: str,
    local: datetime,
    *,
    session_id: str,
) -> tuple[Decision, tuple[Event, ...]]:
    copy = resolved.copy
    own = resolved.loan
    shelf = library.reservations()
    if own is not None and own.card == reader.card:
        # The reader holds this copy already: they want to keep it longer, or to bring it back.
        return renew(policy, reader, resolved, code, local, session_id=session_id, in_hand=True,
                     reservations=shelf)  # fmt: skip
    reader_loans = library.loans_of(reader.card)
    refusal = borrow_refusal(policy, reader, copy, reader_loans=reader_loans, local=local)
    kept = held(shelf, copy.barcode, local.date())
    if kept is not None and kept.card != reader.card:
        refusal = (Reason.HELD_FOR_OTHER, None)  # on the reservations shelf for someone else
    base = Decision(
        code=code,
        outcome=Outcome.REFUSED,
        reason=Reason.OK,
        message_key="",
        reader=reader.card,
        given_name=reader.given_name,
        barcode=copy.barcode,
        title=copy.title,
    )
    if refusal is not None:
        reason, limit = refusal
        # The journal keeps of what was read only what kept_code keeps (children's data).
        event = Event(
            EventType.REFUSAL,
            reason,
            session_id,
            card=reader.card,
            barcode=copy.barcode,
            code=kept_code(code),
        )
        params: dict[str, str | int] = {} if limit is None else {"limit": limit}
        decision = replace(base, reason=reason, message_key=f"refused.{reason}", params=params)
        return decision, (event,)

    due = due_date(policy, reader.role, local.date())
    events: list[Event] = []
    flags: tuple[Flag, ...] = ()
    left = lapsed(shelf, copy.barcode, local.date())
    if left is not None:  # held past its last day: the reservation expires, the copy is lent
        events.append(_expired(left, copy.barcode, session_id))
    current_loan = resolved.loan
    if current_loan is not None:
        # One copy is never on loan twice: the copy is here, so whoever the records say has it
        # gave it back somehow. Return it from them and flag both for the librarian.
        flags = (Flag.TAKEN_FROM_OTHER,)
        events.append(
            Event(
                EventType.RETURN,
                Reason.OK,
                session_id,
                card=current_loan.card,
                barcode=copy.barcode,
                flags=flags,
            )
        )
    events.append(
        Event(
            EventType.CHECKOUT,
            Reason.OK,
            session_id,
            card=reader.card,
            barcode=copy.barcode,
            due=due,
            flags=flags,
        )
    )
    decision = replace(
        base, outcome=Outcome.BORROWED, message_key="borrowed.ok", due=due, flags=flags
    )
    return decision, tuple(events)


def renew(
    policy: Policy,
    reader: Reader,
    resolved: Resolved,
    code: str,
    local: datetime,
    *,
    session_id: str,
    in_hand: bool,
    reservations: Sequence[Reservation] = (),
) -> tuple[Decision, tuple[Event, ...]]:
    """A reader asks to keep a copy they hold (they scanned it, ``in_hand``, or pressed its renew
    button). Renewed when the rules allow; else an overdue book in hand is taken back at once,
    so a child blocked by it may borrow again in the same visit; else the reason."""
    copy, loan = resolved.copy, resolved.loan
    assert loan is not None and loan.card == reader.card
    waiting = [r.card for r in reservations if r.ready_barcode is None and r.wants(copy)]
    due = renewal_due(policy, reader, copy, loan, local, waiting=waiting)
    base = Decision(
        code=code,
        outcome=Outcome.REFUSED,
        reason=Reason.OK,
        message_key="",
        reader=reader.card,
        given_name=reader.given_name,
        barcode=copy.barcode,
        title=copy.title,
    )
    if isinstance(due, date):
        event = Event(
            EventType.RENEWAL,
            Reason.OK,
            session_id,
            card=reader.card,
            barcode=copy.barcode,
            due=due,
        )
        left = max(0, policy.loans.renewals - loan.renewals - 1)
        decision = replace(
            base,
            outcome=Outcome.RENEWED,
            message_key="renewed.ok",
            due=due,
            params={"renewals_left": left},
        )
        return decision, (event,)
    if in_hand and loan.is_overdue(local.date()):
        decision, events = accept_return(resolved, code, local, session_id=session_id,
                                         policy=policy, reservations=reservations)  # fmt: skip
        return replace(decision, reader=reader.card, given_name=reader.given_name), events
    event = Event(
        EventType.REFUSAL, due, session_id, card=reader.card, barcode=copy.barcode,
        code=kept_code(code),
    )  # fmt: skip
    return replace(base, reason=due, message_key=f"refused.{due}"), (event,)


def accept_return(
    resolved: Resolved,
    code: str,
    local: datetime,
    *,
    session_id: str | None = None,
    policy: Policy | None = None,
    reservations: Sequence[Reservation] = (),
) -> tuple[Decision, tuple[Event, ...]]:
    """A return is always accepted; what was odd about it is flagged, never refused.

    ``session_id`` is the visit it was made in: a reader's overdue book scanned in their visit.
    A copy someone waits for (``reservations``) goes to the reservations shelf, held for the
    first in line until ``policy``'s hold days have passed.
    """
    copy, loan = resolved.copy, resolved.loan
    flags: list[Flag] = []
    if loan is None:
        flags.append(Flag.NOT_ON_LOAN)
    elif loan.is_overdue(local.date()):
        flags.append(Flag.LATE)
    if not copy.active:
        flags.append(Flag.WITHDRAWN)
    event = Event(
        EventType.RETURN,
        Reason.OK,
        session_id,
        card=loan.card if loan else None,
        barcode=copy.barcode,
        flags=tuple(flags),
    )
    decision = Decision(
        code=code,
        outcome=Outcome.RETURNED,
        reason=Reason.OK,
        message_key=_return_key(flags, in_visit=session_id is not None),
        barcode=copy.barcode,
        title=copy.title,
        due=loan.due if loan else None,
        flags=tuple(flags),
    )
    shelved = _to_reservations_shelf(policy, reservations, copy, local, session_id)
    if not shelved:
        return decision, (event,)
    reserved = replace(decision, message_key="returned.reserved", flags=(*flags, Flag.RESERVED))
    return reserved, (event, *shelved)


def _to_reservations_shelf(
    policy: Policy | None,
    reservations: Sequence[Reservation],
    copy: Copy,
    local: datetime,
    session_id: str | None,
) -> tuple[Event, ...]:
    """The events of a returned copy someone waits for (none if nobody does): a hold past its
    last day expires, and the copy is held for the first in line (again, if it already was)."""
    if policy is None or not copy.active:
        return ()
    today = local.date()
    events: list[Event] = []
    left = lapsed(reservations, copy.barcode, today)
    if left is not None:
        events.append(_expired(left, copy.barcode, session_id))
        reservations = [r for r in reservations if r.id != left.id]
    kept = held(reservations, copy.barcode, today)
    if kept is not None:  # scanned again on its way to the shelf: held as it was
        events.append(Event(EventType.RESERVATION_READY, Reason.OK, session_id, card=kept.card,
                            barcode=copy.barcode, due=kept.until))  # fmt: skip
        return tuple(events)
    first = first_waiting(reservations, copy)
    if first is None:
        return tuple(events)
    until = hold_until(policy, today)
    events.append(Event(EventType.RESERVATION_READY, Reason.OK, session_id, card=first.card,
                        barcode=copy.barcode, due=until))  # fmt: skip
    return tuple(events)


def _expired(reservation: Reservation, barcode: str, session_id: str | None) -> Event:
    return Event(EventType.RESERVATION_EXPIRED, Reason.OK, session_id, card=reservation.card,
                 barcode=barcode)  # fmt: skip


def _return_key(flags: list[Flag], *, in_visit: bool) -> str:
    if in_visit:
        return "returned.in_visit"  # "returned: now you may borrow (it again, if you like)"
    return "returned.late" if Flag.LATE in flags else "returned.ok"
