"""What the screens say, without Kivy: every reason a picture and a sentence, timetable lines,
countdowns, kind words for late returns."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kiosk.core.decisions import Decision, Flag, Outcome, Reason
from kiosk.core.timetable import open_windows
from kiosk.desk.board import next_window
from kiosk.i18n import LANGUAGES, catalogue
from kiosk.ui import presenters
from kiosk.ui.board_lines import window_next, window_now
from kiosk.ui.views import Tone
from kiosk.ui.words import class_name, keep_punctuation
from tests.conftest import example_policy, local

SESSION_ENDS = {Reason.FINISHED, Reason.IDLE_TIMEOUT, Reason.PREEMPTED, Reason.RESTART}
SESSION_ENDS |= {Reason.SHUTDOWN}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_picture_and_a_sentence(reason: Reason, language: str) -> None:
    outcome = Outcome.SESSION_ENDED if reason in SESSION_ENDS else Outcome.REFUSED
    if reason is Reason.OK:
        outcome = Outcome.BORROWED
    if reason in (Reason.DUPLICATE_SCAN, Reason.NO_SESSION):
        outcome = Outcome.IGNORED
    params: dict[str, str | int] = {"limit": 2} if reason is Reason.LIMIT_REACHED else {}
    decision = Decision("x", outcome, reason, f"{outcome}.{reason}", title="小王子", params=params)
    shown = presenters.answer(decision, language)
    assert presenters.PICTURES[reason] == shown.picture
    assert shown.sentence.strip(), (reason, language)
    assert "{" not in shown.sentence


def test_every_picture_has_its_sign() -> None:
    signs = {"tick", "card", "book", "barcode", "reading_room", "yours", "clock"}
    signs |= {"return_first", "scan_again", "wave", "attention", "new", "reserved"}
    assert set(presenters.PICTURES.values()) <= signs


def test_a_late_return_is_thanked_never_charged() -> None:
    late = Decision("B1", Outcome.RETURNED, Reason.OK, "returned.late", flags=(Flag.LATE,))
    for language in LANGUAGES:
        shown = presenters.answer(late, language)
        assert shown.tone is Tone.OK
        assert not any(sign in shown.sentence for sign in "¥$元")
    assert presenters.answer(late, "zh_CN").sentence == "晚了一点也没关系，谢谢你还回来！"


def test_no_name_once_a_session_has_ended() -> None:
    ended = Decision("", Outcome.SESSION_ENDED, Reason.IDLE_TIMEOUT, "session.ended.idle_timeout")
    ended = Decision(**{**ended.__dict__, "given_name": "明安"})
    assert "明安" not in presenters.answer(ended, "zh_CN").sentence


def test_class_names_as_children_read_them() -> None:
    assert class_name("3-2", "zh_CN") == "三(2)班"
    assert class_name("3-2", "en") == "Class 3-2"
    assert class_name("odd", "zh_CN") == "odd"


def test_the_timetable_now_and_next() -> None:
    policy = example_policy()
    monday_lunch = local("2026-11-23 12:15")

    def now(local: datetime, language: str) -> str:
        return window_now(open_windows(policy, local), language)

    def then(local: datetime, language: str) -> str:
        return window_next(next_window(policy, local), local, language)

    assert now(monday_lunch, "zh_CN").startswith("现在借书（12:10–13:00）")
    assert then(monday_lunch, "zh_CN") == "下一次：今天 14:30 一年级、二年级"
    friday_evening = local("2026-11-27 18:00")
    assert now(friday_evening, "en") == "No borrowing now; returns welcome"
    # The weekend is closed: next is Monday's break window.
    assert then(friday_evening, "en").startswith("Next: Mon 10:00")
    after_term = local("2027-01-23 09:00")
    assert then(after_term, "zh_CN") == "这学期没有更多借书时间了"


def test_the_countdown_runs_down_to_zero() -> None:
    view = presenters.session_view(
        greeting=Decision("S1", Outcome.SESSION_STARTED, Reason.OK, "session.started"),
        progress=presenters.Progress(7, 3, 10),
        loans=(),
        visit=[],
        language="zh_CN",
        idle_seconds=20,
        last_activity=100.0,
    )
    assert view.progress == "本学期已读7本，还差3本"
    assert presenters.countdown(view, 100.0) == ("20秒后自动结束", 1.0)
    assert presenters.countdown(view, 115.5)[0] == "5秒后自动结束"
    assert presenters.countdown(view, 130.0) == ("0秒后自动结束", 0.0)


def test_overdue_books_are_marked_kindly() -> None:
    lines = presenters.loan_lines(
        [("小王子", date(2026, 11, 1)), ("草房子", date(2026, 12, 7))], date(2026, 11, 23), "zh_CN"
    )
    assert [(line.due, line.overdue) for line in lines] == [
        ("该还了", True),
        ("12月7日前还", False),
    ]


def test_every_screen_sentence_exists_in_both_languages() -> None:
    zh, en = catalogue("zh_CN"), catalogue("en")
    ui_keys = {k for k in zh if k.startswith("ui.")}
    assert ui_keys == {k for k in en if k.startswith("ui.")}
    assert len(ui_keys) > 80


def test_chinese_punctuation_never_starts_a_line() -> None:
    assert keep_punctuation(["这张卡或这本书没有登记，请找老师帮忙", "。"]) == (
        "这张卡或这本书没有登记，请找老师帮\n忙。"
    )
    assert keep_punctuation(["借好了！《小王子》请在1", "2月7日前还回来。"]) is None
    assert keep_punctuation(["Borrowed! Please bring", "back by 7 Dec."]) is None
