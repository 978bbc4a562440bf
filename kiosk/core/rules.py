"""The circulation rules of DOMAIN.md as pure functions: may this reader take this copy now?"""

from __future__ import annotations

from collections.abc import Sequence
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


def allowance(policy: Policy, reader: Reader, local: datetime) -> int | Reason:
    """How many books this reader may hold at this local time, or why they may borrow none."""
    term = policy.term
    if not term.start <= local.date() <= last_open_day(term):
        # After the last day books come back, nothing more goes out (期末催还书).
        return Reason.OUTSIDE_TERM
    base = base_limit(policy, reader)
    outside = policy.loans.outside_windows
    if reader.role is ReaderRole.TEACHER:
        # Teachers are not on the class rotation (教师图书室全天开放).
        if outside in (OutsideWindows.TEACHERS, OutsideWindows.EVERYONE):
            return base
        return Reason.OUTSIDE_WINDOW
    windows = windows_for(policy, reader, local)
    if windows:
        # Overlapping windows: the strictest limit holds, so a catch-all window added later
        # cannot quietly lift the one-book rule of an unstaffed lunchtime.
        return min(min(base, w.max_books or base) for w in windows)
    if outside is OutsideWindows.EVERYONE:
        return base
    return Reason.OUTSIDE_WINDOW


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
