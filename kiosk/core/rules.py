"""The circulation rules of DOMAIN.md as pure functions: may this reader take this copy now?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.decisions import Reason
from kiosk.core.models import Copy, Loan, LoanType, Reader, Role
from kiosk.core.policy import OutsideWindows, Policy, Window
from kiosk.core.timetable import windows_for

# A policy that names no limit for a grade lends one book: the cautious choice for a door with
# no adult at it.
DEFAULT_GRADE_LIMIT = 1


@dataclass(frozen=True)
class Allowance:
    """How many books a reader may hold right now, and the window that allows it (if any)."""

    limit: int
    window: Window | None


def base_limit(policy: Policy, reader: Reader) -> int:
    if reader.role is Role.TEACHER:
        return policy.loans.max_books_teacher
    grade = (
        reader.grade
        if reader.grade is not None
        else (reader.class_name.grade if reader.class_name is not None else None)
    )
    if grade is None:
        return DEFAULT_GRADE_LIMIT
    return policy.loans.max_books_by_grade.get(grade, DEFAULT_GRADE_LIMIT)


def allowance(policy: Policy, reader: Reader, local: datetime) -> Allowance | Reason:
    """What the timetable allows this reader at this local time, or why it allows nothing."""
    term = policy.term
    if not term.start <= local.date() <= term.end:
        return Reason.OUTSIDE_TERM
    base = base_limit(policy, reader)
    outside = policy.loans.outside_windows
    if reader.role is Role.TEACHER:
        # Teachers are not on the class rotation (教师图书室全天开放).
        if outside in (OutsideWindows.TEACHERS, OutsideWindows.EVERYONE):
            return Allowance(base, None)
        return Reason.OUTSIDE_WINDOW
    windows = windows_for(policy, reader, local)
    if windows:
        # Two overlapping windows for one class: the more generous one applies.
        best = max(windows, key=lambda w: min(base, w.max_books or base))
        return Allowance(min(base, best.max_books or base), best)
    if outside is OutsideWindows.EVERYONE:
        return Allowance(base, None)
    return Reason.OUTSIDE_WINDOW


def borrow_refusal(
    policy: Policy,
    reader: Reader,
    copy: Copy,
    *,
    reader_loans: Sequence[Loan],
    local: datetime,
) -> Reason | None:
    """Why this reader may not borrow this copy now, or None if they may.

    The order is the order a child can act on: first what is wrong with the book, then with the
    time, then with what they already hold.
    """
    if not copy.active:
        return Reason.WITHDRAWN_COPY
    if copy.loan_type is LoanType.REFERENCE:
        return Reason.NOT_FOR_LOAN
    if any(loan.barcode == copy.barcode for loan in reader_loans):
        return Reason.ALREADY_ON_LOAN_TO_YOU
    allowed = allowance(policy, reader, local)
    if isinstance(allowed, Reason):
        return allowed
    if policy.loans.overdue_blocks_borrowing and any(
        loan.is_overdue(local.date()) for loan in reader_loans
    ):
        return Reason.OVERDUE_BLOCK
    if len(reader_loans) >= allowed.limit:
        return Reason.LIMIT_REACHED
    return None
