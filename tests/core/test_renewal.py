"""Renewal (续借) and the blocked reader's way forward, through the real door on a real SQLite
file: the sample school's policy (14 days, one renewal, grade 3 holds two books, 3-1 borrows on
Monday lunchtimes, one book in the window)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kiosk.core.decisions import EventType, Flag, Outcome, Reason
from kiosk.core.models import Copy, Loan, Reader, ReaderRole
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.core.renewal import renewal_due
from kiosk.core.session import Button
from kiosk.door import Door
from tests.conftest import EXAMPLES, School, example_policy, local, make_school


def _school(tmp_path: Path, **loans: object) -> School:
    policy = example_policy()
    policy = replace(policy, loans=replace(policy.loans, **loans))
    return make_school(tmp_path / "kiosk.db", policy)


def _borrow(school: School, card: str, *barcodes: str) -> None:
    school.scan(card)
    for barcode in barcodes:
        assert school.scan(barcode).outcome is Outcome.BORROWED
    school.press(Button.DONE)


def _renewals(school: School) -> list[tuple[str | None, str | None, date | None]]:
    return [
        (e.event.card, e.event.barcode, e.event.due)
        for e in school.store.events()
        if e.event.type is EventType.RENEWAL
    ]


def test_scanning_a_book_you_hold_renews_it_as_a_new_loan_from_today(school: School) -> None:
    _borrow(school, "S31", "B2")  # Monday 23 November: due Monday 7 December
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    renewed = school.scan("B2")
    assert (renewed.outcome, renewed.due) == (Outcome.RENEWED, date(2026, 12, 14))
    assert renewed.message_key == "renewed.ok" and renewed.title == "夏洛的网"
    assert _renewals(school) == [("S31", "B2", date(2026, 12, 14))]
    [loan] = school.store.loans(card="S31")
    assert (loan.due, loan.renewals) == (date(2026, 12, 14), 1)
    # Borrowed on the 23rd still: a renewal is not a new loan (the term's count stays 1).
    assert loan.borrowed_at == local("2026-11-23 12:15:02")
    assert school.store.library.checkouts_since("S31", school.door.policy.term_began) == 1
    # The loan table is what the journal says, renewal included.
    assert school.store.rebuild_loans() == 0


def test_a_loan_is_renewed_no_more_often_than_the_policy_says(school: School) -> None:
    _borrow(school, "S31", "B2")
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    school.go_to("2026-12-07 12:15")
    school.scan("S31")
    again = school.scan("B2")
    assert (again.outcome, again.reason) == (Outcome.REFUSED, Reason.RENEWALS_USED)
    assert again.message_key == "refused.renewals_used"
    assert school.store.loans(card="S31")[0].due == date(2026, 12, 14)


def test_renewal_off_keeps_todays_answer(tmp_path: Path) -> None:
    school = _school(tmp_path, renewals=0)
    _borrow(school, "S31", "B2")
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    refused = school.scan("B2")
    assert refused.reason is Reason.ALREADY_ON_LOAN_TO_YOU
    assert _renewals(school) == []


def test_a_book_borrowed_today_is_not_renewed_for_nothing(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.clock.advance(10)
    assert school.scan("B2").reason is Reason.ALREADY_ON_LOAN_TO_YOU
    assert _renewals(school) == []


def test_no_renewal_when_the_term_end_holds_the_due_date(school: School) -> None:
    school.go_to("2027-01-11 12:15")  # a Monday: 14 days would pass the term's end
    _borrow(school, "S31", "B2")
    assert school.store.loans(card="S31")[0].due == date(2027, 1, 22)
    school.go_to("2027-01-18 12:15")
    school.scan("S31")
    refused = school.scan("B2")
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.RENEWAL_NOT_LATER)


def test_an_overdue_book_scanned_in_the_visit_is_returned_and_borrowing_opens_at_once(
    school: School,
) -> None:
    _borrow(school, "S31", "B2")  # due 7 December
    school.go_to("2026-12-14 12:15")  # overdue: renew_overdue is false
    school.scan("S31")
    assert school.scan("B3").reason is Reason.OVERDUE_BLOCK
    returned = school.scan("B2")
    assert (returned.outcome, returned.message_key) == (Outcome.RETURNED, "returned.in_visit")
    assert Flag.LATE in returned.flags and returned.reader == "S31"
    # In the same visit: she may borrow again at once, the returned book too ("再借一次").
    school.clock.advance(5)
    again = school.scan("B2")
    assert (again.outcome, again.due) == (Outcome.BORROWED, date(2026, 12, 28))
    back = [e.event for e in school.store.events() if e.event.type is EventType.RETURN]
    assert [(e.card, e.barcode, e.session_id) for e in back] == [("S31", "B2", "session-2")]


def test_an_overdue_book_is_renewed_where_the_school_allows_it(tmp_path: Path) -> None:
    school = _school(tmp_path, renew_overdue=True)
    _borrow(school, "S31", "B2")
    school.go_to("2026-12-14 12:15")
    school.scan("S31")
    renewed = school.scan("B2")
    assert (renewed.outcome, renewed.due) == (Outcome.RENEWED, date(2026, 12, 28))


def test_the_renew_button_renews_only_where_the_school_allows_it(tmp_path: Path) -> None:
    school = _school(tmp_path)
    _borrow(school, "S31", "B2")
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    school.clock.advance(1)
    refused = school.door.press(Button.RENEW, barcode="B2").decision
    assert refused is not None and refused.reason is Reason.RENEW_NEEDS_BOOK
    school.store.close()

    (tmp_path / "allowed").mkdir()
    school = _school(tmp_path / "allowed", renew_without_book=True)
    _borrow(school, "T1", "B2", "B3")  # a teacher: 30 days, due 23 December
    school.go_to("2026-11-30 12:15")
    school.scan("T1")
    school.clock.advance(1)
    renewed = school.door.press(Button.RENEW, barcode="B2").decision
    assert renewed is not None
    assert (renewed.outcome, renewed.due) == (Outcome.RENEWED, date(2026, 12, 30))
    # Someone else's book, or one not on loan: refused, nothing renewed.
    school.clock.advance(1)
    other = school.door.press(Button.RENEW, barcode="B4").decision
    assert other is not None and other.reason is Reason.UNKNOWN_COPY
    # Without the book an overdue one is not taken back: she is told to return it.
    school.press(Button.DONE)
    school.go_to("2026-12-28 12:15")
    school.scan("T1")
    school.clock.advance(1)
    overdue = school.door.press(Button.RENEW, barcode="B3").decision
    assert overdue is not None and overdue.reason is Reason.RENEW_OVERDUE
    assert {x.barcode for x in school.store.loans(card="T1")} == {"B2", "B3"}


def test_a_copy_someone_waits_for_is_not_renewed() -> None:
    """Reservations will name who waits; the rule already refuses them (and not the holder)."""
    policy = example_policy()
    reader = Reader("S31", "明安", ReaderRole.STUDENT, grade=3)
    copy = Copy("B2", "夏洛的网")
    loan = Loan("B2", "S31", local("2026-11-23 12:15"), date(2026, 12, 7), 1)
    now = local("2026-11-30 12:15")
    assert renewal_due(policy, reader, copy, loan, now) == date(2026, 12, 14)
    assert renewal_due(policy, reader, copy, loan, now, waiting=["S31"]) == date(2026, 12, 14)
    waited = renewal_due(policy, reader, copy, loan, now, waiting=["T1"])
    assert waited is Reason.RESERVED_FOR_OTHER


def _with(text: str, **values: str) -> str:
    """The sample policy with these [loans] keys set (the sample writes each of them)."""
    for key, value in values.items():
        text = re.sub(rf"(?m)^{key} = \S+", f"{key} = {value}", text, count=1)
    return text


def test_the_renewal_keys_are_read_from_the_policy_file() -> None:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    loans = example_policy().loans  # the sample says what the defaults are
    assert (loans.renewals, loans.renew_overdue, loans.renew_without_book) == (1, False, False)
    changed = _with(text, renewals="0", renew_overdue="true", renew_without_book="true")
    loans = parse_policy(changed).loans
    assert (loans.renewals, loans.renew_overdue, loans.renew_without_book) == (0, True, True)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("renewals", "-1", "loans.renewals: expected a whole number from 0 to 10, found -1"),
        ("renewals", '"two"', "loans.renewals: expected a whole number from 0 to 10"),
        ("renew_overdue", '"yes"', "loans.renew_overdue"),
    ],
)
def test_a_bad_renewal_key_is_named(key: str, value: str, problem: str) -> None:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        parse_policy(_with(text, **{key: value}))
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


def test_a_renewal_survives_a_restart_of_the_door(school: School) -> None:
    _borrow(school, "S31", "B2")
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    school.door = Door(school.store, school.clock, policy=school.door.policy)
    school.go_to("2026-12-07 12:15")
    school.scan("S31")
    assert school.scan("B2").reason is Reason.RENEWALS_USED
