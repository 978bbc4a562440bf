"""The circulation rules of DOMAIN.md as pure functions: may this reader take this copy now?"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.calendar import last_open_day
from kiosk.core.decisions import Reason
from kiosk.core.models import Copy, Loan, LoanType, Reader, ReaderRole
from kiosk.core.policy import OutsideWindows, Policy
from kiosk.core.timetable import windows_for

# A policy that names no limit for a grade lends one book: the cautious choice for a door with
# no adult at it.
DEFAULT_GRADE_LIMIT = 1


def base_limit(policy: Policy, reader: Reader) -> int:
    if reader.role is ReaderRole.TEACHER:
        return policy.loans.max_books_teacher
    grade = reader.effective_grade
    if grade is None:
        return DEFAULT_GRADE_LIMIT
    return policy.loans.max_books_by_grade.get(grade, DEFAULT_GRADE_LIMIT)


class LimitRule(enum.StrEnum):
    """Which rule sets how many books a reader may hold now (shown beside "you may borrow 1")."""

    GRADE = "grade"  # the grade's loans.max_books (one book when the policy names none)
    TEACHER = "teacher"  # loans.max_books.teacher
    WINDOW = "window"  # an open window's max_books, lower than the grade's


@dataclass(frozen=True)
class Limit:
    books: int
    rule: LimitRule
    window: str | None = None  # the window's name, when its limit holds


def limit_now(policy: Policy, reader: Reader, local: datetime) -> Limit | Reason:
    """How many books this reader may hold at this local time and by which rule, or why they
    may borrow none."""
    term = policy.term
    if not term.start <= local.date() <= last_open_day(term):
        # After the last day books come back, nothing more goes out (期末催还书).
        return Reason.OUTSIDE_TERM
    base = base_limit(policy, reader)
    outside = policy.loans.outside_windows
    if reader.role is ReaderRole.TEACHER:
        # Teachers are not on the class rotation (教师图书室全天开放).
        if outside in (OutsideWindows.TEACHERS, OutsideWindows.EVERYONE):
            return Limit(base, LimitRule.TEACHER)
        return Reason.OUTSIDE_WINDOW
    windows = windows_for(policy, reader, local)
    if windows:
        # Overlapping windows: the strictest limit holds, so a catch-all window added later
        # cannot quietly lift the one-book rule of an unstaffed lunchtime.
        books, window = min((min(base, w.max_books or base), w.name) for w in windows)
        return (
            Limit(books, LimitRule.WINDOW, window) if books < base else Limit(base, LimitRule.GRADE)
        )
    if outside is OutsideWindows.EVERYONE:
        return Limit(base, LimitRule.GRADE)
    return Reason.OUTSIDE_WINDOW


def allowance(policy: Policy, reader: Reader, local: datetime) -> int | Reason:
    """How many books this reader may hold at this local time, or why they may borrow none."""
    limit = limit_now(policy, reader, local)
    return limit if isinstance(limit, Reason) else limit.books


@dataclass(frozen=True)
class Room:
    """What a reader may still borrow now ("这次还可以借1本"), and what stands in the way."""

    left: int  # books they may borrow now (0 when blocked)
    limit: Limit | None  # None when the time or the reader refuses every book
    blocked: Reason | None  # why no book may be borrowed now; None when ``left`` > 0
    overdue: tuple[Loan, ...] = ()  # the books to bring back first, when they block borrowing


def room(policy: Policy, reader: Reader, loans: Sequence[Loan], local: datetime) -> Room:
    """The same checks as :func:`borrow_refusal`, for any book: the session screen's line."""
    if not reader.active:
        return Room(0, None, Reason.INACTIVE_READER)
    limit = limit_now(policy, reader, local)
    if isinstance(limit, Reason):
        return Room(0, None, limit)
    overdue = tuple(loan for loan in loans if loan.is_overdue(local.date()))
    if policy.loans.overdue_blocks_borrowing and overdue:
        return Room(0, limit, Reason.OVERDUE_BLOCK, overdue)
    left = max(0, limit.books - len(loans))
    return Room(left, limit, None if left else Reason.LIMIT_REACHED)


def borrow_refusal(
    policy: Policy,
    reader: Reader,
    copy: Copy,
    *,
    reader_loans: Sequence[Loan],
    local: datetime,
) -> tuple[Reason, int | None] | None:
    """Why this reader may not borrow this copy now (with the limit, if that was the reason),
    or None if they may.

    The order is the order a child can act on: first what is wrong with the book, then with the
    time, then with what they already hold.
    """
    if not reader.active:
        return Reason.INACTIVE_READER, None
    if not copy.active:
        return Reason.WITHDRAWN_COPY, None
    if copy.loan_type is LoanType.REFERENCE:
        return Reason.NOT_FOR_LOAN, None
    if any(loan.barcode == copy.barcode for loan in reader_loans):
        return Reason.ALREADY_ON_LOAN_TO_YOU, None
    limit = allowance(policy, reader, local)
    if isinstance(limit, Reason):
        return limit, None
    if policy.loans.overdue_blocks_borrowing and any(
        loan.is_overdue(local.date()) for loan in reader_loans
    ):
        return Reason.OVERDUE_BLOCK, None
    if len(reader_loans) >= limit:
        return Reason.LIMIT_REACHED, limit
    return None
