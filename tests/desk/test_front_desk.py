"""The kiosk's screens as values: what a child, a helper and a librarian see after each input."""

from __future__ import annotations

from kiosk.core.decisions import EventType, Reason
from kiosk.core.modes import DoorMode
from kiosk.desk.inputs import RESTART, Exit, Update
from kiosk.ui.views import (
    AdminView,
    FaultView,
    HelperView,
    IdleView,
    PinView,
    ReturnView,
    SessionView,
    SummaryView,
    Tone,
)
from tests.desk.conftest import PIN, Desk


def events(desk: Desk) -> list[tuple[str, str]]:
    return [(e.event.type.value, e.event.reason.value) for e in desk.desk.store.events()]


def test_the_idle_screen_shows_the_timetable_new_books_and_no_personal_data(desk: Desk) -> None:
    view = desk.view
    assert isinstance(view, IdleView)
    assert view.prompt == "请刷借书卡"
    assert "三(1)班" in view.window_now and "12:10–13:00" in view.window_now
    assert view.window_next.startswith("下一次：今天 14:30")
    # W1 is withdrawn: a list the librarian wrote never shows a book the catalogue dropped.
    assert view.arrivals == ("昆虫记", "城南旧事")


def test_card_book_book_refused_then_idle_timeout(desk: Desk) -> None:
    started = desk.scan("S31")
    assert started is not None and started.sound == "success"
    view = desk.view
    assert isinstance(view, SessionView)
    assert view.greeting == "明安，你好！"
    assert view.progress == "本学期已读0本，还差10本"
    desk.scan("B1")
    view = desk.view
    assert isinstance(view, SessionView) and view.answer is not None
    assert view.answer.tone is Tone.OK and view.answer.title == "小王子"
    assert view.progress == "本学期已读1本，还差9本"
    assert [line.title for line in view.loans] == ["小王子"]
    refused = desk.scan("B2")  # lunchtime window: one book each
    assert refused is not None and refused.sound == "refusal"
    view = desk.view
    assert isinstance(view, SessionView) and view.answer is not None
    assert view.answer.tone is Tone.REFUSED and view.answer.picture == "return_first"
    assert [a.tone for a in view.visit] == [Tone.REFUSED, Tone.OK]
    assert desk.wait(19.5) is None  # 19.5 s after the last scan: still open
    assert isinstance(desk.wait(1), Update)
    assert isinstance(desk.view, IdleView)
    assert events(desk)[-1] == ("session_ended", "idle_timeout")


def test_a_scan_made_before_the_time_out_counts_even_when_handled_after_it(desk: Desk) -> None:
    desk.scan("S31")
    desk.clock.advance(19.9)
    made_at = desk.clock.read().mono
    desk.clock.advance(0.5)  # the door was busy: the scan reaches it at 20.4 s
    from hardware import ScanEvent, ScannerRole

    desk.desk.handle(ScanEvent("B1", ScannerRole.BOOK, "book-scanner", made_at))
    view = desk.view
    assert isinstance(view, SessionView) and view.answer is not None
    assert view.answer.title == "小王子"
    assert ("checkout", "ok") in events(desk)


def test_done_shows_the_receipt_then_idle(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    view = desk.view
    assert isinstance(view, SummaryView)
    assert [line.title for line in view.borrowed] == ["小王子"]
    desk.wait(7)
    assert isinstance(desk.view, IdleView)


def test_a_second_card_ends_the_first_childs_session_at_once(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.scan("S32")
    view = desk.view
    assert isinstance(view, SessionView)
    assert view.greeting == "文沐，你好！"
    assert "小王子" not in [line.title for line in view.loans]
    assert ("session_ended", "preempted") in events(desk)


def test_a_return_with_a_damage_report(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    desk.scan("B1", later=10)
    view = desk.view
    assert isinstance(view, ReturnView) and view.damage_open
    assert view.title == "还书成功" and view.answer.title == "小王子"
    desk.tap("damaged")
    view = desk.view
    assert isinstance(view, ReturnView) and not view.damage_open
    assert ("damage_report", "ok") in events(desk)


def test_a_touch_restarts_the_countdown(desk: Desk) -> None:
    desk.scan("S31")
    desk.wait(15)
    desk.tap("touch")
    assert desk.wait(10) is None
    assert isinstance(desk.view, SessionView)
    desk.wait(11)
    assert isinstance(desk.view, IdleView)


def test_english_for_one_session_then_back_to_chinese(desk: Desk) -> None:
    desk.scan("S31")
    desk.tap("language")
    view = desk.view
    assert isinstance(view, SessionView) and view.done_button == "Done"
    assert view.progress == "Books this term: 0, 10 to go"
    desk.tap("done")
    desk.wait(7)
    view = desk.view
    assert isinstance(view, IdleView) and view.prompt == "请刷借书卡"


def test_admin_by_card_ends_the_session_and_tests_the_scanners(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("LIB1", source="card-scanner")
    view = desk.view
    assert isinstance(view, AdminView)
    assert ("session_ended", "preempted") in events(desk)
    desk.scan("B1")  # a live scanner test: nothing is lent
    view = desk.view
    assert isinstance(view, AdminView)
    assert "book-scanner：正常 · 最近读到 B1" in [r.line for r in view.scanners]
    assert ("checkout", "ok") not in events(desk)
    desk.tap("mode:returns_only")
    desk.tap("back")
    desk.scan("S31")
    view = desk.view
    assert isinstance(view, IdleView) and view.notice is not None
    assert view.notice.sentence == "现在只能还书，不能借书哦"
    assert view.notice.tone is Tone.INFO  # news the librarian chose, not a child's mistake
    assert events(desk)[-1] == ("refusal", "returns_only")  # journaled like any refusal


def test_admin_by_pin_wrong_then_right(desk: Desk) -> None:
    desk.tap("admin")
    assert isinstance(desk.view, PinView)
    for key in "1111":
        desk.tap(f"key:{key}")
    desk.tap("ok")
    view = desk.view
    assert isinstance(view, PinView) and view.message == "密码不对，还可以试4次"
    for key in PIN:
        desk.tap(f"key:{key}")
    assert isinstance(desk.view, PinView) and desk.view.entered == 4
    desk.tap("ok")
    assert isinstance(desk.view, AdminView)
    assert desk.tap("restart") == Exit(RESTART)


def test_five_wrong_pins_lock_the_keypad(desk: Desk) -> None:
    desk.tap("admin")
    for _ in range(5):
        desk.tap("key:9")
        desk.tap("key:9")
        desk.tap("key:9")
        desk.tap("key:9")
        desk.tap("ok")
    for key in PIN:
        desk.tap(f"key:{key}")
    desk.tap("ok")
    view = desk.view
    assert isinstance(view, PinView) and "秒后再试" in view.message


def test_helper_turns_returns_only_on_and_off(desk: Desk) -> None:
    desk.scan("HELP1", source="card-scanner")
    view = desk.view
    assert isinstance(view, HelperView) and view.toggle == "打开“只还书”"
    desk.tap("returns_only")
    assert desk.desk.mode is DoorMode.RETURNS_ONLY
    desk.tap("returns_only")
    assert desk.desk.mode is DoorMode.NORMAL
    assert desk.tap("leave") is None  # a helper cannot leave the app


def test_fault_screen_while_a_scanner_is_gone_and_back_by_itself(desk: Desk) -> None:
    update = desk.unplug()
    assert isinstance(update, Update) and update.sound == "attention"
    view = desk.view
    assert isinstance(view, FaultView) and view.title == "请告诉老师"
    assert "book-scanner" in view.details[0]
    assert desk.scan("S31", source="card-scanner") is None  # nothing decided unseen
    # What the sync worker's next heartbeat tells the server (the librarian's Today page).
    assert desk.desk.store.sync.scanner_states() == [("book-scanner", "disconnected")]
    desk.replug()
    assert isinstance(desk.view, IdleView)
    assert ("session_started", "ok") not in events(desk)
    assert desk.desk.store.sync.scanner_states() == [("book-scanner", "ok")]


def test_a_scan_storm_is_one_loan_and_no_flicker(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    answers = [desk.scan("B1", later=0.02) for _ in range(50)]
    assert answers == [None] * 50
    checkouts = [e for e in desk.desk.store.events() if e.event.type is EventType.CHECKOUT]
    assert len(checkouts) == 1


def test_unknown_card_with_no_session_is_a_friendly_notice(desk: Desk) -> None:
    desk.scan("NOBODY")
    view = desk.view
    assert isinstance(view, IdleView) and view.notice is not None
    assert view.notice.tone is Tone.REFUSED
    desk.wait(7)
    view = desk.view
    assert isinstance(view, IdleView) and view.notice is None
    assert events(desk)[-1] == ("refusal", Reason.UNKNOWN_CODE.value)


def test_a_book_scanned_during_the_receipt_is_a_return(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    assert isinstance(desk.view, SummaryView)
    desk.scan("B1", later=4)  # "press Done, then scan it"
    view = desk.view
    assert isinstance(view, ReturnView) and view.answer.title == "小王子"
    assert events(desk)[-1] == ("return", "ok")


def test_two_cards_in_a_row_from_the_same_child_keep_one_session(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.scan("S31", later=5)  # tapped again, past the double-read window
    view = desk.view
    assert isinstance(view, SessionView)
    assert [line.title for line in view.loans] == ["小王子"]
    assert events(desk).count(("session_started", "ok")) == 1


def test_the_fault_screen_stays_when_an_open_session_runs_out(desk: Desk) -> None:
    desk.scan("S31")
    desk.unplug()
    desk.wait(25)  # the session times out while the scanner is gone
    assert isinstance(desk.view, FaultView)
    assert events(desk)[-1] == ("session_ended", "idle_timeout")


def test_the_receipt_is_in_the_language_the_child_chose(desk: Desk) -> None:
    desk.scan("S31")
    desk.tap("language")
    desk.scan("B1")
    desk.tap("done")
    view = desk.view
    assert isinstance(view, SummaryView) and view.title == "Your receipt"


def test_a_teacher_sees_her_count_and_no_target(desk: Desk) -> None:
    desk.scan("T1")
    view = desk.view
    assert isinstance(view, SessionView)
    assert view.greeting == "武老师，你好！"
    assert view.progress == "本学期已读0本"  # the term's target is for pupils
