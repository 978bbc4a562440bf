""" "你借的书" and what is left: the session screen as the child reads it, from the desk on the
test school's real SQLite file (the sample policy: grade 3 holds two, 3-1's Monday lunchtime
window lends one, 14 days, one renewal)."""

from __future__ import annotations

from pathlib import Path

from kiosk.clocks import ScriptedClock
from kiosk.desk.front_desk import FrontDesk
from kiosk.desk.scanners import Scanners
from kiosk.store import Store
from kiosk.ui.views import SessionView, SummaryView
from tests.conftest import EXAMPLES, local
from tests.desk.conftest import Desk, desk_config, school_file


def _session(desk: Desk) -> SessionView:
    view = desk.view
    assert isinstance(view, SessionView)
    return view


def _desk_with(tmp_path: Path, policy_text: str) -> Desk:
    db = school_file(tmp_path / "kiosk.db")
    store = Store(db)
    store.save_policy(policy_text)
    clock = ScriptedClock(local("2026-11-23 12:15"))
    front = FrontDesk(store, clock, desk_config(db), Scanners(["card-scanner", "book-scanner"]))
    return Desk(front, clock)


def test_the_screen_says_how_many_more_and_under_which_rule(desk: Desk) -> None:
    desk.scan("S31")  # Monday lunchtime: 3-1's window lends one book each
    assert _session(desk).room == "这次还可以借1本（周一午间轮借每人最多1本）"
    assert not _session(desk).blocked
    desk.scan("B1")
    view = _session(desk)
    assert view.room == "借满1本了，还一本才能再借。" and view.blocked
    desk.tap("language")
    assert _session(desk).room == (
        "You have reached your limit (1): return a book to borrow another."
    )


def test_outside_the_window_the_grades_rule_is_named(desk: Desk) -> None:
    desk.clock.advance((local("2026-11-24 15:00") - desk.clock.read().wall).total_seconds())
    desk.scan("T1")
    assert _session(desk).room == "这次还可以借10本（老师最多10本）"
    desk.scan("B1")
    assert _session(desk).room == "这次还可以借9本（老师最多10本）"


def test_each_loan_shows_its_due_date_and_whether_it_can_be_renewed(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    # A week later: renewable. A book borrowed today would not be (nothing to gain yet).
    desk.wait((local("2026-11-30 12:15") - desk.clock.read().wall).total_seconds())
    desk.scan("S31")
    [line] = _session(desk).loans
    assert (line.title, line.due, line.renew, line.renewable) == (
        "小王子",
        "12月7日前还",
        "可续借",
        True,
    )
    assert line.renew_target == ""  # no renew button unless the school allows it
    desk.scan("B1")
    [line] = _session(desk).loans
    assert (line.due, line.renew, line.renewable) == ("12月14日前还", "不能续借", False)
    assert _session(desk).answer is not None
    assert _session(desk).answer.sentence == "续借好了！《小王子》请在12月14日前还回来。"  # type: ignore[union-attr]
    desk.tap("done")
    receipt = desk.view
    assert isinstance(receipt, SummaryView)
    assert [(x.title, x.due) for x in receipt.borrowed] == [("小王子", "12月14日前还")]


def test_a_blocked_reader_sees_the_way_forward_and_takes_it_in_the_same_visit(
    desk: Desk,
) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    desk.wait((local("2026-12-14 12:15") - desk.clock.read().wall).total_seconds())
    desk.scan("S31")
    view = _session(desk)
    assert view.blocked
    assert view.room == "《小王子》该还了。在这里扫一下就还上了，还完马上可以借书。"
    assert [(x.title, x.due, x.renewable) for x in view.loans] == [("小王子", "该还了", False)]
    desk.scan("B1")  # returned here, in the visit
    view = _session(desk)
    assert view.answer is not None and view.answer.sentence.startswith("还好了，谢谢！")
    assert view.loans == () and not view.blocked
    assert view.room == "这次还可以借1本（周一午间轮借每人最多1本）"
    desk.scan("B2")
    assert [x.title for x in _session(desk).loans] == ["夏洛的网"]


def test_a_renew_button_per_loan_where_the_school_allows_it(tmp_path: Path) -> None:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    allowed = text.replace("renew_without_book = false", "renew_without_book = true")
    desk = _desk_with(tmp_path, allowed)
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    desk.wait((local("2026-11-30 12:15") - desk.clock.read().wall).total_seconds())
    desk.scan("S31")
    view = _session(desk)
    assert view.renew_button == "续借"
    [line] = view.loans
    assert line.renew_target == "renew:B1"
    desk.tap("renew:B1")
    view = _session(desk)
    assert view.answer is not None and view.answer.due == "12月14日前还"
    assert [(x.due, x.renew_target) for x in view.loans] == [("12月14日前还", "")]
    desk.desk.store.close()


def test_the_session_screen_without_a_renew_button_ignores_a_forged_tap(desk: Desk) -> None:
    desk.scan("S31")
    desk.scan("B1")
    desk.tap("done")
    desk.wait((local("2026-11-30 12:15") - desk.clock.read().wall).total_seconds())
    desk.scan("S31")
    desk.tap("renew:B1")
    view = _session(desk)
    assert view.answer is not None and view.answer.sentence == "要续借，请扫描这本书。"
    assert [x.due for x in view.loans] == ["12月7日前还"]
