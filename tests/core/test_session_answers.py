"""What a child reads for returns and damage reports, and what the journal keeps for the librarian.

Driven through the real door on a real SQLite file, like test_session.py; these tests look at
the sentence on the screen and at the recorded events, not only at the outcome.
"""

from __future__ import annotations

from datetime import date

from kiosk.core.decisions import EventType, Flag, Outcome, Reason
from kiosk.core.models import ClassName, Copy, Reader, ReaderRole
from kiosk.core.session import Button
from kiosk.door import CHECKPOINT_SECONDS
from kiosk.i18n import say
from tests.conftest import READERS, School


def _last_event(school: School):  # type: ignore[no-untyped-def]
    return list(school.store.events())[-1].event


def test_a_return_thanks_the_child_by_the_books_title_and_names_the_borrower(
    school: School,
) -> None:
    returned = school.borrow_then_return("S31", "B2")
    assert say(returned) == "还好了，谢谢你！《夏洛的网》"
    assert (returned.title, returned.due) == ("夏洛的网", date(2026, 12, 7))
    event = _last_event(school)
    # The screen never shows whose book it was; the journal does, for the librarian.
    assert (event.type, event.card, event.barcode, event.flags) == (
        EventType.RETURN, "S31", "B2", (),
    )  # fmt: skip


def test_a_late_return_says_so_kindly_and_is_flagged(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    school.go_to("2026-12-09 12:15")  # due on 7 December
    returned = school.scan("B2")
    assert say(returned) == "还好了，谢谢你！这本书晚了一点，下次记得按时还哦。"
    assert returned.flags == (Flag.LATE,) and _last_event(school).flags == (Flag.LATE,)


def test_a_withdrawn_copy_found_on_the_shelf_is_taken_back_and_flagged_twice(
    school: School,
) -> None:
    returned = school.scan("W1")  # withdrawn from the catalogue, and not on loan
    assert (returned.outcome, say(returned)) == (Outcome.RETURNED, "还好了，谢谢你！《旧书》")
    assert returned.flags == (Flag.NOT_ON_LOAN, Flag.WITHDRAWN)
    event = _last_event(school)
    assert (event.card, event.flags) == (None, (Flag.NOT_ON_LOAN, Flag.WITHDRAWN))


def test_damage_reported_late_in_the_lunchtime_names_the_book(school: School) -> None:
    school.clock.advance(300)  # the monotonic clock is far from zero by now
    school.borrow_then_return("S31", "B2")
    report = school.press(Button.DAMAGED)
    assert say(report) == "谢谢你告诉我们！老师会把《夏洛的网》修好。"
    event = _last_event(school)
    assert (event.type, event.reason, event.barcode) == (EventType.DAMAGE_REPORT, Reason.OK, "B2")
    assert (report.outcome, report.reason) == (Outcome.DAMAGE_REPORTED, Reason.OK)


def test_damage_without_a_return_is_refused_and_recorded_in_the_session(school: School) -> None:
    school.scan("S31")
    refused = school.press(Button.DAMAGED)
    assert say(refused) == "请先还书，再告诉我们书坏了。"
    event = _last_event(school)
    assert (event.type, event.reason, event.session_id) == (
        EventType.REFUSAL, Reason.NO_RECENT_RETURN, "session-1",
    )  # fmt: skip
    assert school.scan("B2").outcome is Outcome.BORROWED  # the session goes on


def test_done_with_nobody_at_the_door_asks_for_a_card_and_the_door_goes_on(
    school: School,
) -> None:
    ignored = school.press(Button.DONE)
    assert say(ignored) == "请先刷借书证。"
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED


def test_a_grade_window_admits_a_reader_known_by_grade_alone_or_by_class_alone(
    school: School,
) -> None:
    school.store.import_readers(
        [
            *READERS,
            Reader("G1", "小雨", ReaderRole.STUDENT, grade=1),  # a roster with no class column
            Reader("C12", "小雪", ReaderRole.STUDENT, ClassName(1, 2)),  # one with no grade column
            Reader("N0", "小雷", ReaderRole.STUDENT),  # neither: no window is for her
        ]
    )
    school.go_to("2026-11-23 14:40")  # Monday, 一二年级阅览课 (grades 1 and 2)
    for card, book in (("G1", "B3"), ("C12", "B4")):
        school.scan(card)
        borrowed = school.scan(book)
        assert (borrowed.outcome, borrowed.reader) == (Outcome.BORROWED, card)
        school.press(Button.DONE)
    school.scan("N0")
    assert school.scan("B5").reason is Reason.OUTSIDE_WINDOW


def test_done_says_goodbye_by_name_and_the_journal_names_whose_session_ended(
    school: School,
) -> None:
    school.scan("S31")
    goodbye = school.press(Button.DONE)
    assert say(goodbye) == "再见，明安！"
    event = _last_event(school)
    assert (event.type, event.reason, event.card) == (
        EventType.SESSION_ENDED, Reason.FINISHED, "S31",
    )  # fmt: skip


def test_a_card_no_longer_on_the_roster_is_refused_kindly_and_journaled(school: School) -> None:
    refused = school.scan("GONE")
    assert say(refused) == "这张卡现在不能借书，请找老师帮忙。"
    event = _last_event(school)
    # The librarian can see whose card it was, to give the child a new one.
    assert (event.type, event.reason, event.card, event.code) == (
        EventType.REFUSAL, Reason.INACTIVE_READER, "GONE", "GONE",
    )  # fmt: skip


def test_the_isbn_of_unlabelled_copies_all_withdrawn_is_refused_for_the_first_copy(
    school: School,
) -> None:
    isbn = "9787532123452"
    school.store.import_copies(
        (Copy(f"{isbn}#{n}", "草房子", isbn=isbn, isbn_only=True, active=False) for n in (1, 2)),
        deactivate_missing=False,
    )
    school.scan("S31")
    refused = school.scan(isbn)
    assert (refused.reason, refused.barcode) == (Reason.WITHDRAWN_COPY, f"{isbn}#1")
    assert say(refused) == "这本书不能再借了，请把它交给老师。"


def test_a_borrow_and_a_refusal_are_journaled_with_the_session_the_card_and_the_book(
    school: School,
) -> None:
    school.scan("S31")
    school.scan("B2")
    school.scan("R1")  # a reference book
    events = [e.event for e in school.store.events()][1:]
    assert [(e.type, e.reason, e.session_id, e.card, e.barcode) for e in events] == [
        (EventType.CHECKOUT, Reason.OK, "session-1", "S31", "B2"),
        (EventType.REFUSAL, Reason.NOT_FOR_LOAN, "session-1", "S31", "R1"),
    ]
    assert events[1].code == "R1"


def test_the_limit_is_named_when_it_is_reached(school: School) -> None:
    school.scan("S31")  # Monday lunchtime: her class's window lends one book each
    school.scan("B2")
    refused = school.scan("B3")
    assert (refused.reason, say(refused)) == (
        Reason.LIMIT_REACHED,
        "你已经借了1本书，先还一本再借吧。",
    )


def test_a_copy_taken_from_another_reader_is_journaled_in_the_new_session(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.scan("S32")  # she has the book in her hand now: the records said S31 had it
    taken = school.scan("B2")
    assert taken.flags == (Flag.TAKEN_FROM_OTHER,)
    returned, checkout = [e.event for e in school.store.events()][-2:]
    assert (returned.type, returned.card, returned.session_id) == (
        EventType.RETURN, "S31", "session-2",
    )  # fmt: skip
    assert (checkout.type, checkout.card, checkout.session_id) == (
        EventType.CHECKOUT, "S32", "session-2",
    )  # fmt: skip


def test_a_door_left_idle_keeps_ticking_and_then_answers_the_next_child(school: School) -> None:
    for _ in range(3):  # the screen's timer, with nobody at the door (the WAL is tidied then)
        school.clock.advance(CHECKPOINT_SECONDS)
        assert school.door.tick().decision is None
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED
