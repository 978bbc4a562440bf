"""Every circulation rule of DOMAIN.md, table-driven over the pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, time

import pytest

from kiosk.core.calendar import due_date, is_open_day
from kiosk.core.decisions import Reason
from kiosk.core.models import Copy, Loan, LoanType, ReaderRole
from kiosk.core.policy import OutsideWindows, Policy, Weekday, Window
from kiosk.core.rules import borrow_refusal
from tests.conftest import COPIES, READERS, example_policy, local

POLICY = example_policy()
READER = {r.card: r for r in READERS}
COPY = {c.barcode: c for c in COPIES}


def loan(barcode: str, card: str, due: str) -> Loan:
    return Loan(
        barcode, card, local("2026-11-02 12:15").astimezone(UTC), date.fromisoformat(due), 1
    )


def with_loans(policy: Policy, **changes: object) -> Policy:
    return replace(policy, loans=replace(policy.loans, **changes))


# (why, card, barcode, the reader's loans, local time, policy changes, expected refusal)
CASES = [
    ("a 3-1 pupil in the Monday lunchtime window", "S31", "B2", [], "2026-11-23 12:15", {}, None),
    ("window starts inclusive", "S31", "B2", [], "2026-11-23 12:10", {}, None),
    ("window ends exclusive", "S31", "B2", [], "2026-11-23 13:00", {}, Reason.OUTSIDE_WINDOW),
    ("not this class's day", "S42", "B2", [], "2026-11-23 12:15", {}, Reason.OUTSIDE_WINDOW),
    ("4-2 on its own Tuesday window", "S42", "B2", [], "2026-11-24 12:30", {}, None),
    ("grade window (1-2 reading class)", "S11", "B2", [], "2026-11-23 14:45", {}, None),
    ("grade 1 at lunchtime", "S11", "B2", [], "2026-11-23 12:15", {}, Reason.OUTSIDE_WINDOW),
    ("break-time window by grade", "S42", "B2", [], "2026-11-26 10:15", {}, None),
    ("a closed day (National Day)", "S31", "B2", [], "2026-10-05 10:15", {}, Reason.OUTSIDE_WINDOW),
    ("a weekend", "S31", "B2", [], "2026-11-28 12:15", {}, Reason.OUTSIDE_WINDOW),
    ("teachers any time", "T1", "B2", [], "2026-11-28 19:00", {}, None),
    (
        "teachers blocked when nobody borrows outside windows",
        "T1", "B2", [], "2026-11-23 12:15",
        {"outside_windows": OutsideWindows.NOBODY}, Reason.OUTSIDE_WINDOW,
    ),
    (
        "everyone may borrow outside windows when the policy says so",
        "S11", "B2", [], "2026-11-23 16:00",
        {"outside_windows": OutsideWindows.EVERYONE}, None,
    ),
    ("holidays after the term", "T1", "B2", [], "2027-02-01 10:00", {}, Reason.OUTSIDE_TERM),
    ("before the term", "T1", "B2", [], "2026-08-20 10:00", {}, Reason.OUTSIDE_TERM),
    ("reference books are never lent", "T1", "R1", [], "2026-11-23 12:15", {}, Reason.NOT_FOR_LOAN),
    ("a withdrawn copy", "S31", "W1", [], "2026-11-23 12:15", {}, Reason.WITHDRAWN_COPY),
    (
        "the window's max_books lowers the grade limit (2 -> 1)",
        "S31", "B2", [loan("B3", "S31", "2026-12-07")], "2026-11-23 12:15", {},
        Reason.LIMIT_REACHED,
    ),
    (
        "outside the lunchtime window the grade limit (2) applies",
        "S42", "B2", [loan("B3", "S42", "2026-12-07")], "2026-11-26 10:15", {}, None,
    ),
    (
        "grade limit reached",
        "S42", "B2", [loan("B3", "S42", "2026-12-07"), loan("B4", "S42", "2026-12-07")],
        "2026-11-26 10:15", {}, Reason.LIMIT_REACHED,
    ),
    (
        "an overdue book blocks borrowing",
        "S42", "B2", [loan("B3", "S42", "2026-11-20")], "2026-11-26 10:15", {},
        Reason.OVERDUE_BLOCK,
    ),
    (
        "due today is not overdue",
        "S42", "B2", [loan("B3", "S42", "2026-11-26")], "2026-11-26 10:15", {}, None,
    ),
    (
        "overdue does not block when the policy says so",
        "S42", "B2", [loan("B3", "S42", "2026-11-20")], "2026-11-26 10:15",
        {"overdue_blocks_borrowing": False}, None,
    ),
    (
        "the copy is already this reader's",
        "S31", "B2", [loan("B2", "S31", "2026-12-07")], "2026-11-23 12:15", {},
        Reason.ALREADY_ON_LOAN_TO_YOU,
    ),
    ("teacher limit of 10", "T1", "B2", [loan(f"X{i}", "T1", "2026-12-20") for i in range(10)],
     "2026-11-23 12:15", {}, Reason.LIMIT_REACHED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("card", "barcode", "loans", "when", "changes", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_borrow_rules(
    card: str,
    barcode: str,
    loans: list[Loan],
    when: str,
    changes: dict[str, object],
    expected: Reason | None,
) -> None:
    policy = with_loans(POLICY, **changes) if changes else POLICY
    refusal = borrow_refusal(
        policy, READER[card], COPY[barcode], reader_loans=loans, local=local(when)
    )
    assert (refusal[0] if refusal else None) is expected


def test_a_reference_book_is_refused_even_when_everything_else_would_refuse() -> None:
    copy = Copy("D1", "成语大词典", loan_type=LoanType.REFERENCE)
    refusal = borrow_refusal(
        POLICY, READER["S42"], copy, reader_loans=[], local=local("2026-11-28 03:00")
    )
    assert refusal == (Reason.NOT_FOR_LOAN, None)


# (why, role, borrow day, expected due date)
DUE_CASES = [
    ("14 days later, a Monday", ReaderRole.STUDENT, "2026-11-23", "2026-12-07"),
    ("due on a Saturday moves to Monday", ReaderRole.STUDENT, "2026-11-28", "2026-12-14"),
    ("teachers get 30 days", ReaderRole.TEACHER, "2026-11-23", "2026-12-23"),
    ("due on a closed holiday moves on", ReaderRole.STUDENT, "2026-12-18", "2027-01-04"),
    ("never after the term end", ReaderRole.STUDENT, "2027-01-15", "2027-01-22"),
    ("teacher near term end", ReaderRole.TEACHER, "2026-12-30", "2027-01-22"),
    ("borrowed on the last day", ReaderRole.STUDENT, "2027-01-22", "2027-01-22"),
    ("due on make-up Sunday 27 Sep stays", ReaderRole.STUDENT, "2026-09-13", "2026-09-27"),
    ("due on make-up Saturday 10 Oct stays", ReaderRole.STUDENT, "2026-09-26", "2026-10-10"),
]


@pytest.mark.parametrize(
    ("role", "day", "expected"), [c[1:] for c in DUE_CASES], ids=[c[0] for c in DUE_CASES]
)
def test_due_dates(role: ReaderRole, day: str, expected: str) -> None:
    assert due_date(POLICY, role, date.fromisoformat(day)) == date.fromisoformat(expected)


def test_make_up_days_and_holidays() -> None:
    term = POLICY.term
    assert is_open_day(term, date(2026, 9, 27))  # a Sunday worked as a school day
    assert not is_open_day(term, date(2026, 10, 1))  # National Day
    assert not is_open_day(term, date(2026, 11, 29))  # an ordinary Sunday
    assert not is_open_day(term, date(2027, 1, 25))  # after the term
    assert is_open_day(term, date(2026, 9, 1)) and is_open_day(term, date(2027, 1, 22))  # its ends


def test_a_term_ending_on_a_saturday_has_its_books_back_on_the_friday() -> None:
    policy = replace(POLICY, term=replace(POLICY.term, end=date(2027, 1, 23)))
    due = due_date(policy, ReaderRole.STUDENT, date(2027, 1, 18))
    assert due == date(2027, 1, 22)


def test_nothing_is_lent_after_the_last_day_books_come_back() -> None:
    # The term ends on a Sunday: its last open day is Friday 22 Jan.
    policy = replace(POLICY, term=replace(POLICY.term, end=date(2027, 1, 24)))
    saturday = local("2027-01-23 10:00")
    refusal = borrow_refusal(policy, READER["T1"], COPY["B2"], reader_loans=[], local=saturday)
    assert refusal == (Reason.OUTSIDE_TERM, None)
    friday = local("2027-01-22 10:00")
    assert borrow_refusal(policy, READER["T1"], COPY["B2"], reader_loans=[], local=friday) is None


def test_overlapping_windows_keep_the_strictest_limit() -> None:
    catch_all = Window("全天", frozenset(Weekday), time(8, 0), time(17, 0), grades=frozenset({3}))
    policy = replace(POLICY, windows=(*POLICY.windows, catch_all))
    held = [loan("B3", "S31", "2026-12-07")]
    lunchtime = local("2026-11-23 12:15")  # the Monday window says one book each
    refusal = borrow_refusal(policy, READER["S31"], COPY["B2"], reader_loans=held, local=lunchtime)
    assert refusal == (Reason.LIMIT_REACHED, 1)
    afternoon = local("2026-11-23 16:00")  # only the catch-all: the grade's two books
    assert (
        borrow_refusal(policy, READER["S31"], COPY["B2"], reader_loans=held, local=afternoon)
        is None
    )


def test_an_inactive_reader_borrows_nothing() -> None:
    refusal = borrow_refusal(
        POLICY, READER["GONE"], COPY["B2"], reader_loans=[], local=local("2026-11-23 12:15")
    )
    assert refusal == (Reason.INACTIVE_READER, None)


def test_a_grade_the_policy_gives_no_limit_may_hold_one_book() -> None:
    policy = with_loans(POLICY, max_books_by_grade={1: 1, 2: 1})  # grade 3 not listed
    reader, day = READER["S31"], local("2026-11-26 10:15")  # Thursday break: grades 3 to 6
    assert borrow_refusal(policy, reader, COPY["B2"], reader_loans=[], local=day) is None
    held = [loan("B3", "S31", "2026-12-07")]
    assert borrow_refusal(policy, reader, COPY["B2"], reader_loans=held, local=day) == (
        Reason.LIMIT_REACHED, 1,
    )  # fmt: skip


def test_the_first_day_of_term_lends() -> None:
    tuesday = local("2026-09-01 12:15")  # 周二午间轮借, class 4-2
    assert borrow_refusal(POLICY, READER["S42"], COPY["B2"], reader_loans=[], local=tuesday) is None
