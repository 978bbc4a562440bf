"""Which answers the kiosk says aloud, and how: the desk's facts in, spoken lines out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from kiosk.core.decisions import Decision, Flag, Outcome, Reason
from kiosk.desk.facts import (
    FaultFacts,
    IdleFacts,
    Notice,
    ReceiptFacts,
    ReturnFacts,
    SessionFacts,
)
from kiosk.i18n import LANGUAGES
from kiosk.voice.hearing import Hearing
from kiosk.voice.lines import recordable

TODAY = date(2026, 11, 23)
GREETING = Decision(
    "202430101",
    Outcome.SESSION_STARTED,
    Reason.OK,
    "session.started",
    reader="202430101",
    given_name="子乐",
    params={"read": 0, "to_go": 10},
)


def borrowed(title: str) -> Decision:
    return Decision("b", Outcome.BORROWED, Reason.OK, "borrowed.ok", reader="202430101",
                    title=title, due=date(2026, 12, 7))  # fmt: skip


def refused(reason: Reason) -> Decision:
    return Decision("b", Outcome.REFUSED, reason, f"refused.{reason}", reader="202430101")


def session(*answers: Decision, language: str = "zh_CN") -> SessionFacts:
    return SessionFacts(
        greeting=GREETING, read=0, to_go=10, target=10, loans=(), today=TODAY,
        answers=answers, idle_seconds=20, last_activity=0.0, language=language,
    )  # fmt: skip


def sentences(hearing: Hearing, *shown: tuple[object, float]) -> list[str | None]:
    said = []
    for facts, at in shown:
        heard = hearing.hear(facts, at)  # type: ignore[arg-type]
        said.append(heard.line.sentence if heard else None)
    return said


def test_the_greeting_and_each_answer_are_said_once_and_a_redraw_is_not() -> None:
    first = session()
    after_book = session(borrowed("小王子"))
    touched = replace(after_book, last_activity=3.0)  # a touch redraws the same visit
    said = sentences(Hearing(), (first, 0), (after_book, 2), (touched, 3))
    assert said == ["子乐，你好！", "借好了！《小王子》", None]


def test_books_borrowed_in_a_burst_are_counted_and_a_pause_starts_again() -> None:
    books = [borrowed(t) for t in ("小王子", "夏洛的网", "草房子", "城南旧事")]
    shown = [(session(), 0.0)]
    shown += [(session(*books[: i + 1]), at) for i, at in enumerate((2.0, 4.5, 7.0, 30.0))]
    said = sentences(Hearing(), *shown)
    assert said[1:] == ["借好了！《小王子》", "借好了2本！", "借好了3本！", "借好了！《城南旧事》"]


def test_a_refusal_between_borrows_ends_the_burst() -> None:
    a, b = borrowed("小王子"), borrowed("夏洛的网")
    no = refused(Reason.NOT_FOR_LOAN)
    shown = [(session(), 0), (session(a), 1), (session(a, no), 2), (session(a, no, b), 3)]
    said = sentences(Hearing(), *shown)
    assert said[1:] == ["借好了！《小王子》", "这本书要在阅览室里看哦。", "借好了！《夏洛的网》"]


def test_returns_with_no_session_merge_and_a_late_one_is_thanked() -> None:
    def returned(*flags: Flag) -> ReturnFacts:
        decision = Decision("b", Outcome.RETURNED, Reason.OK, "returned.ok", title="小王子",
                            flags=flags)  # fmt: skip
        return ReturnFacts(decision, True, 20.0, "zh_CN")

    said = sentences(Hearing(), (returned(), 0), (returned(), 2), (returned(Flag.LATE), 20))
    assert said == ["还好了，谢谢你！", "还好了2本，谢谢你！", "晚了一点也没关系，谢谢你还回来！"]


def test_the_goodbye_names_the_child_and_a_scan_that_did_not_read_is_said() -> None:
    receipt = ReceiptFacts("子乐", (), TODAY, 6.0, "en")
    idle = IdleFacts("图书室", None, (), None, (), None, None, "zh_CN", notice=Notice.UNREAD)  # type: ignore[arg-type]
    said = sentences(Hearing(), (session(language="en"), 0), (receipt, 5), (idle, 9))
    assert said == ["Hello, 子乐!", "Goodbye, 子乐!", "没有读清楚，请再扫一次"]


def test_names_and_titles_are_for_espeak_and_the_fixed_words_for_the_pack() -> None:
    heard = Hearing().hear(session(), 0)
    assert heard is not None and heard.card == "202430101"
    assert [(p.text, p.key) for p in heard.line.pieces] == [
        ("子乐", None),
        ("你好！", "voice.hello"),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_is_said_in_every_language(language: str) -> None:
    quiet = {Reason.OK, Reason.DUPLICATE_SCAN, Reason.NO_SESSION, Reason.FINISHED,
             Reason.IDLE_TIMEOUT, Reason.PREEMPTED, Reason.RESTART, Reason.SHUTDOWN}  # fmt: skip
    keys = dict(recordable(language))
    for reason in set(Reason) - quiet:
        heard = Hearing().hear(IdleFacts("", None, (), None, (), None, None, language,  # type: ignore[arg-type]
                                         notice=refused(reason)), 0)  # fmt: skip
        assert heard is not None and heard.line.sentence.strip(), reason
        assert all(p.key in keys for p in heard.line.pieces if p.key), reason


def test_a_visit_shown_again_after_the_fault_screen_is_not_greeted_again() -> None:
    fault = FaultFacts((("book-scanner", "disconnected"),), None, "zh_CN")
    visit = session(borrowed("小王子"))
    said = sentences(Hearing(), (session(), 0), (visit, 2), (fault, 3), (replace(visit), 9))
    assert said == ["子乐，你好！", "借好了！《小王子》", None, None]


def test_the_reservation_alert_and_a_ready_reservation_at_the_greeting_are_said() -> None:
    waiting = Decision("b", Outcome.RETURNED, Reason.OK, "returned.reserved", title="草房子",
                       flags=(Flag.LATE,))  # fmt: skip
    alert = ReturnFacts(waiting, True, 20.0, "zh_CN")
    ready = replace(GREETING, params={**GREETING.params, "reserved": "草房子\n城南旧事"})
    visit = replace(session(), greeting=ready)
    said = sentences(Hearing(), (alert, 0), (visit, 30))
    assert said == [
        "这本书有人预约了，请放到预约书架上",
        "子乐，你好！你预约的书到了：《草房子》、《城南旧事》",
    ]
