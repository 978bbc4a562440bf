"""School days and due dates: which days the library is open, and when a loan comes back."""

from __future__ import annotations

from datetime import date, timedelta

from kiosk.core.models import ReaderRole
from kiosk.core.policy import Policy, Term


def is_open_day(term: Term, day: date) -> bool:
    """A school day inside the term: not a closed weekday or holiday, unless a make-up day."""
    if not term.start <= day <= term.end:
        return False
    if day in term.open:
        return True
    if day in term.closed:
        return False
    return day.weekday() not in term.closed_weekdays


def next_open_day(term: Term, day: date) -> date | None:
    """``day`` itself if open, else the first open day after it; None past the term's end."""
    while day <= term.end:
        if is_open_day(term, day):
            return day
        day += timedelta(days=1)
    return None


def last_open_day(term: Term) -> date:
    """The last day books can be handed back: term end, or the open day before it."""
    day = term.end
    while day > term.start and not is_open_day(term, day):
        day -= timedelta(days=1)
    return day


def loan_days(policy: Policy, role: ReaderRole) -> int:
    return policy.loans.days_by_role.get(role.value, policy.loans.days)


def due_date(policy: Policy, role: ReaderRole, borrowed_on: date) -> date:
    """Borrow day + loan days, moved on to the next open day, never after the term's last open day.

    Borrowing itself only happens up to the term's last open day (the rules refuse it after).
    """
    last = last_open_day(policy.term)
    days = loan_days(policy, role)
    if (last - borrowed_on).days <= days:
        return last
    target = borrowed_on + timedelta(days=days)
    moved = next_open_day(policy.term, target)
    return last if moved is None or moved > last else moved
