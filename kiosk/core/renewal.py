"""Renewal (续借): may a reader keep a book they hold to a later day, and until when?

A renewal takes no book off the shelf, so it is not bound to the borrowing windows or the loan
limit; it is bound to the term, to ``loans.renewals`` and ``loans.renew_overdue``, and to the
copy not being wanted by someone else.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from kiosk.core.calendar import due_date, last_open_day
from kiosk.core.decisions import Reason
from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.policy import Policy


def renewal_due(
    policy: Policy,
    reader: Reader,
    copy: Copy,
    loan: Loan,
    local: datetime,
    *,
    waiting: Collection[str] = (),
) -> date | Reason:
    """The due date renewing ``loan`` now would give, or why it cannot be renewed.

    ``waiting`` holds the cards of readers waiting for this copy (reservations); it is empty
    until the kiosk knows of reservations. The order is the order a child can act on.
    """
    today = local.date()
    rules = policy.loans
    if not reader.active:
        return Reason.INACTIVE_READER
    if not copy.active:
        return Reason.WITHDRAWN_COPY
    if rules.renewals == 0:
        return Reason.ALREADY_ON_LOAN_TO_YOU  # renewal is off: what the door always said
    if not policy.term.start <= today <= last_open_day(policy.term):
        return Reason.OUTSIDE_TERM
    if any(card != reader.card for card in waiting):
        return Reason.RESERVED_FOR_OTHER
    if loan.is_overdue(today) and not rules.renew_overdue:
        return Reason.RENEW_OVERDUE
    if loan.renewals >= rules.renewals:
        return Reason.RENEWALS_USED
    # As for a new loan from today: loan days, the next open day, never past the term's end.
    due = due_date(policy, reader.role, today)
    if due <= loan.due:
        # The term's end holds it back; otherwise nothing would change yet (borrowed today).
        at_term_end = due == last_open_day(policy.term)
        return Reason.RENEWAL_NOT_LATER if at_term_end else Reason.ALREADY_ON_LOAN_TO_YOU
    return due
