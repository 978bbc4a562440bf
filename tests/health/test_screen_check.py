"""`kiosk doctor`'s screen line: what the touchscreen app recorded of its screen when it started
(kiosk/ui/no_screen.py records it, with the store's own SyncTables.set_screen_state)."""

from __future__ import annotations

import json

from kiosk.store import Store
from tests.health.conftest import Pi


def record(pi: Pi, state: str) -> None:
    with Store(pi.file("/var/lib/library-kiosk/kiosk.db")) as store:
        store.sync.set_screen_state(state)


def screen_line(out: str) -> str:
    return next(line for line in out.splitlines() if line[5:].startswith(("screen", "屏幕")))


def test_no_screen_connected_fails_in_chinese_first_and_in_english_when_asked(pi: Pi) -> None:
    record(pi, "no_display")
    status, out = pi.doctor_text("zh_CN")
    line = screen_line(out)
    assert status == 1
    assert line.startswith("FAIL 屏幕: 没有连接屏幕（从 ") and "借书机每分钟再找一次" in line
    assert "→ 插好屏幕的线并打开屏幕" in line
    status, out = pi.doctor_text("en")
    line = screen_line(out)
    assert line.startswith("FAIL screen: no screen connected (since ")
    assert "→ plug the screen's cable in and switch it on" in line
    _status, out = pi.doctor_text("en", as_json=True)
    found = next(json.loads(li) for li in out.splitlines() if json.loads(li)["check"] == "screen")
    assert (found["status"], found["reason"]) == ("fail", "no_display")


def test_a_screen_the_app_drew_on_is_ok(pi: Pi) -> None:
    record(pi, "ok")
    _status, results = pi.doctor("en")
    found = next(r for r in results if r["check"] == "screen")
    assert (found["status"], found["reason"]) == ("ok", "ok")


def test_a_window_that_would_not_open_is_told_apart(pi: Pi) -> None:
    record(pi, "no_window")
    status, out = pi.doctor_text("en")
    assert status == 1
    assert screen_line(out).startswith(
        "FAIL screen: a screen is connected, but the kiosk cannot open a window on it"
    )


def test_before_the_app_first_started_the_screen_is_not_checked(pi: Pi) -> None:
    status, results = pi.doctor("en")
    found = next(r for r in results if r["check"] == "screen")
    assert (found["status"], found["reason"]) == ("skipped", "not_started")
    assert status == 0  # a healthy Pi, just installed
