"""The session engine's paths, driven through the real door on a real SQLite file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from kiosk.core.decisions import EventType, Flag, Outcome, Reason
from kiosk.core.models import Copy
from kiosk.core.session import Button, DeviceRole
from kiosk.door import Door
from kiosk.store import Store, StoreError
from tests.conftest import ISBN_ONLY, READERS, School


def _types(school: School) -> list[tuple[str, str]]:
    return [(e.event.type.value, e.event.reason.value) for e in school.store.events()]


def test_card_opens_a_session_and_books_scanned_in_it_are_borrowed(school: School) -> None:
    started = school.scan("S31")
    assert (started.outcome, started.given_name) == (Outcome.SESSION_STARTED, "明安")
    borrowed = school.scan("B2")
    assert borrowed.outcome is Outcome.BORROWED
    assert borrowed.title == "夏洛的网"
    assert [loan.barcode for loan in school.store.loans(card="S31")] == ["B2"]


def test_a_book_scanned_with_no_session_is_a_return(school: School) -> None:
    returned = school.borrow_then_return("S31", "B2")
    assert returned.outcome is Outcome.RETURNED
    assert returned.reader is None  # the screen never shows whose book it was
    assert school.store.loans() == []


def test_a_different_card_ends_the_open_session_first(school: School) -> None:
    school.scan("S31")
    handled = school.handle("S32")
    assert handled.ended is not None and handled.ended.reason is Reason.PREEMPTED
    assert handled.ended.reader == "S31"
    assert handled.decision is not None and handled.decision.reader == "S32"
    # The book is lent to the child now at the door, not the one before.
    assert school.scan("B2").reader == "S32"
    assert _types(school)[-3:] == [
        ("session_ended", "preempted"),
        ("session_started", "ok"),
        ("checkout", "ok"),
    ]


def test_the_idle_timeout_closes_the_session_and_the_next_book_is_a_return(
    school: School,
) -> None:
    school.scan("S31")
    school.scan("B2")
    school.clock.advance(school.door.policy.idle_seconds)
    tick = school.door.tick()
    assert tick.ended is not None and tick.ended.reason is Reason.IDLE_TIMEOUT
    assert school.scan("B2").outcome is Outcome.RETURNED


def test_a_scan_after_the_timeout_but_before_any_tick_is_not_a_loan(school: School) -> None:
    school.scan("S31")
    school.clock.advance(60)
    handled = school.handle("B3")
    assert handled.ended is not None and handled.ended.reason is Reason.IDLE_TIMEOUT
    assert handled.decision is not None and handled.decision.outcome is Outcome.RETURNED
    assert school.store.loans() == []


def test_activity_keeps_the_session_open(school: School) -> None:
    school.scan("S31")
    school.clock.advance(school.door.policy.idle_seconds - 2)
    assert school.scan("B2").outcome is Outcome.BORROWED
    school.clock.advance(school.door.policy.idle_seconds - 2)
    assert school.door.tick().ended is None


def test_every_session_ends_exactly_once(school: School) -> None:
    school.scan("S31")
    school.scan("S32")  # preempts
    school.press(Button.DONE)
    school.scan("S11")
    school.clock.advance(100)
    school.door.tick()  # idle
    school.scan("T1")
    school.door.close()
    events = [e.event for e in school.store.events()]
    started = [e.session_id for e in events if e.type is EventType.SESSION_STARTED]
    ended = [e.session_id for e in events if e.type is EventType.SESSION_ENDED]
    assert sorted(started) == sorted(ended)
    assert len(set(ended)) == len(ended) == 4


def test_a_restart_closes_the_session_left_open_by_a_crash(school: School) -> None:
    school.scan("S31")
    school.restart()  # the process died without ending the session
    school.restart()  # and restarts again: that session is over, it is not ended twice
    events = [e.event for e in school.store.events()]
    assert [(e.type, e.reason, e.card, e.session_id) for e in events] == [
        (EventType.SESSION_STARTED, Reason.OK, "S31", "session-1"),
        (EventType.SESSION_ENDED, Reason.RESTART, "S31", "session-1"),
    ]
    assert school.scan("B2").outcome is Outcome.RETURNED  # no session survives a restart


def test_the_same_code_read_again_within_the_window_is_ignored(school: School) -> None:
    school.scan("S31")
    first = school.scan("B2")
    again = school.scan("B2")  # one second later
    assert first.outcome is Outcome.BORROWED
    assert (again.outcome, again.reason) == (Outcome.IGNORED, Reason.DUPLICATE_SCAN)
    school.clock.advance(school.door.policy.loans.duplicate_scan_seconds)
    later = school.scan("B2")
    assert later.reason is Reason.ALREADY_ON_LOAN_TO_YOU


def test_a_book_lying_under_the_scanner_is_never_returned_by_itself(school: School) -> None:
    school.scan("S31")
    assert school.scan("B2").outcome is Outcome.BORROWED
    # Read again every second, long past the idle timeout that ends the session.
    for _ in range(int(school.door.policy.idle_seconds) * 3):
        handled = school.handle("B2")
        assert handled.decision is not None
        assert handled.decision.reason is Reason.DUPLICATE_SCAN
    assert [loan.barcode for loan in school.store.loans(card="S31")] == ["B2"]


def test_the_same_book_right_after_done_is_a_double_read(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    assert school.scan("B2").reason is Reason.DUPLICATE_SCAN
    assert [loan.barcode for loan in school.store.loans()] == ["B2"]


def test_a_card_lying_on_the_reader_stays_ignored(school: School) -> None:
    school.scan("S31")
    for _ in range(10):  # one read a second, each within the window of the previous one
        assert school.scan("S31").reason is Reason.DUPLICATE_SCAN
    assert sum(1 for e in school.store.events() if e.event.type is EventType.SESSION_STARTED) == 1


def test_tapping_your_own_card_again_keeps_the_session(school: School) -> None:
    school.scan("S31")
    school.clock.advance(5)
    again = school.scan("S31")
    assert (again.outcome, again.message_key) == (Outcome.SESSION_STARTED, "session.continued")
    assert school.scan("B2").outcome is Outcome.BORROWED


def test_done_without_a_session_is_ignored(school: School) -> None:
    decision = school.press(Button.DONE)
    assert (decision.outcome, decision.reason) == (Outcome.IGNORED, Reason.NO_SESSION)


def test_damage_is_reported_for_the_book_just_returned_once(school: School) -> None:
    school.borrow_then_return("S31", "B2")
    report = school.press(Button.DAMAGED)
    assert (report.outcome, report.barcode) == (Outcome.DAMAGE_REPORTED, "B2")
    twice = school.press(Button.DAMAGED)
    assert twice.reason is Reason.NO_RECENT_RETURN
    damage = [e for e in school.store.events() if e.event.type is EventType.DAMAGE_REPORT]
    assert [d.event.barcode for d in damage] == ["B2"]


def test_damage_cannot_be_reported_long_after_the_return(school: School) -> None:
    school.scan("B2")
    school.clock.advance(600)
    assert school.press(Button.DAMAGED).reason is Reason.NO_RECENT_RETURN


def test_a_book_reader_never_opens_a_session_with_a_card_number(school: School) -> None:
    decision = school.scan("S31", DeviceRole.BOOK)
    assert decision.outcome is Outcome.REFUSED
    assert decision.reason is Reason.UNKNOWN_COPY
    assert school.door.state.session is None


def test_a_card_reader_reports_unknown_cards_as_readers(school: School) -> None:
    assert school.scan("B2", DeviceRole.CARD).reason is Reason.UNKNOWN_READER


def test_an_unknown_code_with_no_session_is_neither_card_nor_book(school: School) -> None:
    assert school.scan("NOPE").reason is Reason.UNKNOWN_CODE


def test_an_unknown_book_in_a_session_is_an_unknown_copy(school: School) -> None:
    school.scan("S31")
    assert school.scan("NOPE").reason is Reason.UNKNOWN_COPY
    assert school.door.state.session is not None  # a bad scan does not end the visit


def test_an_inactive_card_is_refused_and_ends_the_previous_session(school: School) -> None:
    school.scan("S31")
    handled = school.handle("GONE")
    assert handled.ended is not None
    assert handled.decision is not None and handled.decision.reason is Reason.INACTIVE_READER
    assert school.door.state.session is None


def test_taking_a_copy_from_someone_else_returns_it_from_them_and_flags_it(
    school: School,
) -> None:
    school.scan("S31")
    school.scan("B2")
    school.scan("S31B")  # the book changed hands outside the kiosk
    decision = school.scan("B2")
    assert decision.outcome is Outcome.BORROWED
    assert decision.flags == (Flag.TAKEN_FROM_OTHER,)
    assert [(loan.barcode, loan.card) for loan in school.store.loans()] == [("B2", "S31B")]
    last_two = [e.event for e in school.store.events()][-2:]
    assert [(e.type, e.card, e.flags) for e in last_two] == [
        (EventType.RETURN, "S31", (Flag.TAKEN_FROM_OTHER,)),
        (EventType.CHECKOUT, "S31B", (Flag.TAKEN_FROM_OTHER,)),
    ]


def test_returning_a_copy_not_on_loan_is_accepted_and_flagged(school: School) -> None:
    decision = school.scan("B3")
    assert decision.outcome is Outcome.RETURNED
    assert decision.flags == (Flag.NOT_ON_LOAN,)


def test_a_late_return_is_accepted_and_noted(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    school.go_to("2026-12-21 12:15")
    decision = school.scan("B2")
    assert decision.outcome is Outcome.RETURNED
    assert decision.message_key == "returned.late"
    assert Flag.LATE in decision.flags


def test_isbn_only_copies_are_lent_one_after_the_other(school: School) -> None:
    school.scan("S31")
    first = school.scan(ISBN_ONLY)
    school.scan("S32")
    second = school.scan(ISBN_ONLY)
    assert (first.barcode, second.barcode) == (f"{ISBN_ONLY}#1", f"{ISBN_ONLY}#2")


def test_an_isbn_return_long_after_any_visit_matches_the_oldest_loan(school: School) -> None:
    school.scan("S31")
    school.scan(ISBN_ONLY)
    school.scan("S32")
    school.scan(ISBN_ONLY)
    school.press(Button.DONE)
    school.clock.advance(600)
    returned = school.scan(ISBN_ONLY)
    assert returned.barcode == f"{ISBN_ONLY}#1"
    assert [loan.card for loan in school.store.loans()] == ["S32"]


def test_an_isbn_return_right_after_your_visit_returns_your_copy(school: School) -> None:
    school.scan("S32")
    school.scan(ISBN_ONLY)  # S32 has #1, the older loan
    school.scan("S31")
    school.scan(ISBN_ONLY)  # S31 has #2
    school.clock.advance(10)
    school.scan("S31")  # she comes back to return it, taps her card first, as children do
    refused = school.scan(ISBN_ONLY)
    assert refused.reason is Reason.ALREADY_ON_LOAN_TO_YOU  # "press Done, then scan it"
    school.press(Button.DONE)
    school.clock.advance(5)
    returned = school.scan(ISBN_ONLY)
    assert (returned.barcode, returned.flags) == (
        f"{ISBN_ONLY}#2",
        (),
    )  # her loan, not "not on loan"
    assert [(loan.barcode, loan.card) for loan in school.store.loans()] == [
        (f"{ISBN_ONLY}#1", "S32")
    ]


def test_a_teacher_takes_a_class_set_of_isbn_only_copies(school: School) -> None:
    school.scan("T1")
    first = school.scan(ISBN_ONLY)
    school.clock.advance(5)
    second = school.scan(ISBN_ONLY)
    school.clock.advance(5)
    third = school.scan(ISBN_ONLY)
    assert (first.barcode, second.barcode) == (f"{ISBN_ONLY}#1", f"{ISBN_ONLY}#2")
    assert third.reason is Reason.ALREADY_ON_LOAN_TO_YOU  # no free copy is left


def test_a_third_reader_takes_the_oldest_loaned_isbn_copy(school: School) -> None:
    school.scan("S31")
    school.scan(ISBN_ONLY)
    school.scan("S32")
    school.scan(ISBN_ONLY)
    school.scan("S31B")
    taken = school.scan(ISBN_ONLY)
    assert (taken.outcome, taken.barcode, taken.flags) == (
        Outcome.BORROWED,
        f"{ISBN_ONLY}#1",
        (Flag.TAKEN_FROM_OTHER,),
    )


def test_the_cover_isbn_of_a_labelled_copy_asks_for_the_library_barcode(school: School) -> None:
    school.scan("S31")
    assert school.scan("9787049996228").reason is Reason.USE_LIBRARY_BARCODE


def test_greeting_counts_books_this_term(school: School) -> None:
    school.borrow_then_return("S31", "B2")
    school.clock.advance(10)
    greeting = school.scan("S31")
    assert greeting.params["read"] == 1
    assert greeting.params["to_go"] == 9
    assert greeting.params["on_loan"] == 0


def test_a_wall_clock_behind_the_journal_is_not_used_for_due_dates(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    # A power cut: the Pi comes back thinking it is the summer before, with no network.
    school.go_to("2026-06-01 12:15")
    school.clock.synced = False
    school.restart()
    school.scan("S32")
    school.clock.advance(1)
    borrowed = school.scan("B3")
    # Held at the journal's last time (Monday lunchtime, her class's window), not June's.
    assert borrowed.outcome is Outcome.BORROWED
    assert borrowed.due == date(2026, 12, 7)
    events = list(school.store.events())
    walls = [e.stamp.wall for e in events]
    assert walls == sorted(walls)
    # After the power cut the monotonic clock restarted: the first event is held exactly, and
    # from then on the held time moves with the monotonic clock (two scans, two seconds).
    assert walls[-2] == walls[-3]
    assert (walls[-1] - walls[-2]).total_seconds() == 2
    assert events[-1].stamp.clock < events[-1].stamp.wall  # the raw reading is kept too
    assert not events[-1].stamp.clock_synced


def test_a_synchronised_clock_is_believed_after_a_time_in_the_future(school: School) -> None:
    # One boot with a clock a year ahead recorded events in 2027 ...
    school.go_to("2027-11-22 12:15")
    school.scan("S31")
    school.press(Button.DONE)
    # ... then the network set the clock right: borrowing works again at once.
    school.go_to("2026-11-23 12:20")
    school.restart()
    school.scan("S31")
    assert school.scan("B2").outcome is Outcome.BORROWED
    assert school.store.loans()[0].due.isoformat() == "2026-12-07"


def test_a_reader_made_inactive_during_their_visit_borrows_nothing(school: School) -> None:
    school.scan("S31")
    remaining = [r for r in READERS if r.card != "S31"]
    school.store.import_readers(remaining)  # the roster changed while she was at the kiosk
    decision = school.scan("B2")
    assert decision.reason is Reason.INACTIVE_READER
    assert school.store.loans() == []


def test_two_doors_cannot_run_on_one_file(school: School) -> None:
    other = Store(school.store.path)
    try:
        with pytest.raises(StoreError, match="another program is running this kiosk's door"):
            Door(other, school.clock, policy=school.door.policy)
    finally:
        other.close()


def test_teachers_are_greeted_without_the_pupils_reading_target(school: School) -> None:
    assert school.scan("T1").message_key == "session.started.no_target"
    school.clock.advance(5)
    assert school.scan("S31").message_key == "session.started"


@pytest.mark.parametrize("other_path", ["symlink", "relative", "hard link"])
def test_no_other_path_to_the_same_file_opens_a_second_door(
    school: School, other_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = school.store.path
    if other_path == "symlink":
        path = tmp_path / "elsewhere" / "kiosk-link.db"
        path.parent.mkdir()
        path.symlink_to(real)
    elif other_path == "relative":
        monkeypatch.chdir(real.parent.parent)
        path = Path("..") / real.parent.parent.name / real.parent.name / real.name
    else:
        path = real.with_name("kiosk-hardlink.db")
        os.link(real, path)
    other = Store(path)
    try:
        with pytest.raises(StoreError, match="another program is running this kiosk's door"):
            Door(other, school.clock, policy=school.door.policy)
    finally:
        other.close()
    # The first door is untouched and still works.
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED


def test_the_door_is_free_again_once_its_program_stops(school: School) -> None:
    path = school.store.path
    school.store.close()
    store = Store(path)
    try:
        Door(store, school.clock, policy=school.door.policy)  # no stale lock left behind
    finally:
        store.close()
    assert not path.with_name(path.name + ".door-lock").exists()


def test_a_class_set_of_ten_unlabelled_copies_goes_out_in_number_order(school: School) -> None:
    isbn = "9787532123452"
    school.store.import_copies(
        (Copy(f"{isbn}#{n}", "草房子", isbn=isbn, isbn_only=True) for n in range(1, 11)),
        deactivate_missing=False,
    )
    school.scan("T1")
    lent = []
    for _ in range(3):
        school.clock.advance(5)  # past the double-read window
        lent.append(school.scan(isbn).barcode)
    # The librarian's list reads #1, #2, #3, not #1, #10, #2 (the order of the text).
    assert lent == [f"{isbn}#1", f"{isbn}#2", f"{isbn}#3"]
