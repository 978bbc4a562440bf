"""The pure session engine called directly: ``step(state, input, context)`` with the library as
plain values, no store and no door. What the door adds (the journal, the clock, the store's
writes) is tested through it elsewhere (test_session.py); here the engine's own answers and the
events it asks the door to write, in memory and in microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.moments import Instant
from kiosk.core.reservations import Reservation
from kiosk.core.session import Button, Context, Press, Scan, SessionState, Tick, step
from tests.conftest import COPIES, READERS, example_policy, local

START = local("2026-11-23 12:15")  # a Monday lunchtime, in a borrowing window


@dataclass
class Shelves:
    """The library as the engine asks about it: the test school's readers and copies, and the
    loans this test says are out."""

    loans: dict[str, Loan] = field(default_factory=dict)

    def reader(self, card: str) -> Reader | None:
        return next((r for r in READERS if r.card == card), None)

    def copy(self, barcode: str) -> Copy | None:
        return next((c for c in COPIES if c.barcode == barcode), None)

    def copies_with_isbn(self, isbn: str) -> Sequence[Copy]:
        return [c for c in COPIES if c.isbn == isbn]

    def loan(self, barcode: str) -> Loan | None:
        return self.loans.get(barcode)

    def loans_of(self, card: str) -> Sequence[Loan]:
        return [loan for loan in self.loans.values() if loan.card == card]

    def checkouts_since(self, card: str, since: datetime) -> int:
        return sum(1 for loan in self.loans_of(card) if loan.borrowed_at >= since)

    def reservations(self) -> Sequence[Reservation]:
        return ()


def at(seconds: float) -> Instant:
    return Instant(START + timedelta(seconds=seconds), 1000.0 + seconds)


def context(shelves: Shelves) -> Context:
    ids = count(1)
    return Context(example_policy(), shelves, new_id=lambda: f"visit-{next(ids)}")


def test_a_card_then_a_book_is_a_loan_asked_of_the_door_as_events() -> None:
    ctx = context(Shelves())
    opened = step(SessionState(), Scan("S31", at(0)), ctx)
    assert opened.decision is not None and opened.decision.outcome is Outcome.SESSION_STARTED
    assert opened.state.session is not None and opened.state.session.reader.card == "S31"
    lent = step(opened.state, Scan("B2", at(2)), ctx)
    assert lent.decision is not None and lent.decision.outcome is Outcome.BORROWED
    assert [(e.type, e.barcode, e.card) for e in lent.events] == [(EventType.CHECKOUT, "B2", "S31")]
    assert lent.events[0].session_id == "visit-1"


def test_the_engine_writes_nothing_itself_the_same_input_gives_the_same_step() -> None:
    ctx = context(Shelves())
    state = step(SessionState(), Scan("S31", at(0)), ctx).state
    first = step(state, Scan("B2", at(2)), ctx)
    again = step(state, Scan("B2", at(2)), ctx)
    assert first == again  # pure: the library was not changed by the first call


def test_a_book_on_loan_scanned_with_no_session_is_a_return_that_names_no_reader() -> None:
    out = Loan("B2", "S31", START - timedelta(days=3), (START + timedelta(days=11)).date(), 7)
    returned = step(SessionState(), Scan("B2", at(0)), context(Shelves({"B2": out})))
    assert returned.decision is not None and returned.decision.outcome is Outcome.RETURNED
    assert returned.decision.reader is None
    assert [(e.type, e.barcode) for e in returned.events] == [(EventType.RETURN, "B2")]


def test_idle_time_ends_the_visit_on_a_tick_and_done_ends_it_at_once() -> None:
    ctx = context(Shelves())
    state = step(SessionState(), Scan("S31", at(0)), ctx).state
    idle = ctx.policy.idle_seconds
    assert step(state, Tick(at(idle - 1)), ctx).state.session is not None
    timed_out = step(state, Tick(at(idle)), ctx)
    assert timed_out.state.session is None
    assert timed_out.ended is not None and timed_out.ended.reason is Reason.IDLE_TIMEOUT
    done = step(state, Press(Button.DONE, at(1)), ctx)
    assert done.decision is not None and done.decision.reason is Reason.FINISHED
    assert [e.type for e in done.events] == [EventType.SESSION_ENDED]
