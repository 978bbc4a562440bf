"""Renewal and "what is left" on the real app under Xvfb (scripted mode), with the sample school
on Monday 30 November: 孟子乐 renews the book she borrowed a fortnight ago, 任妍宇 is blocked by an
overdue book and returns it in her visit, 武老师 renews by button where the school allows it.

The shots of these session screen states, at the 7" display's 800x480 and at 1920x1080 in both
languages, land in .artifacts/issue16/LANG/SIZE/ for people to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.clocks import ScriptedClock
from kiosk.commands.run import sample_school
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.store import Store
from tests.conftest import REPO, SAMPLE, local
from tests.ui.app_runs import run_app

ARTIFACTS = REPO / ".artifacts" / "issue16"
ZILE, YANYU, TEACHER = "202430101", "202430102", "T0001"
SCRIPT = """\
# Monday 30 November, the 3-1 lunchtime (--at 2026-11-30T12:15)
2 202430101
4 0001002
6 @done
8 202430102
10 0001003
12 0001005
14 @done
16 T0001
18 @tap=renew:0001010
20 @done
"""


def _school_with_loans(tmp: Path, *, renew_button: bool) -> Path:
    """The sample school a fortnight into these loans: 小王子 due today, 夏洛的网 overdue since
    the 23rd, and the teacher's 昆虫记 (due 2 December) and 城南旧事 (borrowed today)."""
    db = sample_school(tmp / "kiosk.db")
    with Store(db) as store:
        if renew_button:
            text = (SAMPLE / "policy.toml").read_text(encoding="utf-8")
            store.save_policy(
                text.replace("renew_without_book = false", "renew_without_book = true")
            )
        clock = ScriptedClock(local("2026-11-02 12:15"))
        door = Door(store, clock)
        lent = (
            ("2026-11-02 12:15", TEACHER, "0001010"),
            ("2026-11-09 12:15", YANYU, "0001003"),
            ("2026-11-16 12:15", ZILE, "0001002"),
            ("2026-11-30 08:00", TEACHER, "0001011"),
        )
        for when, card, barcode in lent:
            clock.advance((local(when) - clock.read().wall).total_seconds())
            door.scan(card)
            clock.advance(1)
            assert door.scan(barcode).decision.outcome.value == "borrowed"  # type: ignore[union-attr]
            door.press(Button.DONE)
        door.close()
    return db


@pytest.mark.parametrize("size", ["800x480", "1920x1080"])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_renewal_and_the_way_forward_on_the_session_screen(
    tmp_path: Path, lang: str, size: str
) -> None:
    db = _school_with_loans(tmp_path, renew_button=True)
    shots = ARTIFACTS / lang / size
    run = run_app(tmp_path, SCRIPT, lang=lang, size=size, shots=shots, at="2026-11-30T12:15", db=db)
    assert run.status == 0, run.stderr
    for shot in run.shots:
        assert shot["overflowing"] == [], (shot["line"], shot["screen"], shot["overflowing"])
    zh = lang == "zh_CN"
    greeted, renewed = run.text(1), run.text(2)
    assert ("续借" if zh else "Renew") in run.texts(1)  # a button: the book can be renewed
    assert ("借满1本了" if zh else "You have reached your limit (1)") in greeted
    assert ("续借好了！《小王子》请在12月14日前还回来。" if zh else "Renewed!") in renewed
    assert ("12月14日前还" if zh else "due 14 Dec") in renewed
    assert ("不能续借" if zh else "no renewal") in run.texts(2)  # renewed once: no button now
    blocked, back, borrowed = run.text(4), run.text(5), run.text(6)
    assert ("《夏洛的网》该还了。在这里扫一下就还上了" if zh else "Overdue: “夏洛的网”") in blocked
    assert ("还好了，谢谢！" if zh else "Returned, thank you!") in back
    assert ("这次还可以借1本" if zh else "You may borrow 1 more now") in back
    assert ("借好了！《草房子》" if zh else "Borrowed!") in borrowed
    teacher, by_button = run.text(8), run.text(9)
    assert ("续借" if zh else "Renew") in run.texts(8)  # the button beside 昆虫记
    assert ("这次还可以借8本（老师最多10本）" if zh else "teachers: up to 10") in teacher
    assert ("续借好了！《昆虫记》" if zh else "Renewed!") in by_button
    assert ("12月30日前还" if zh else "due 30 Dec") in by_button
    assert [e for e in run.events() if e[0] == "renewal"] == [("renewal", "ok")] * 2


def test_without_the_renew_button_setting_no_button_is_drawn(tmp_path: Path) -> None:
    db = _school_with_loans(tmp_path, renew_button=False)
    run = run_app(tmp_path, "2 T0001\n4 @tap=renew:0001010\n", at="2026-11-30T12:15", db=db)
    assert run.status == 0, run.stderr
    assert "续借" not in run.texts(1) and "可续借" in run.texts(1)
    assert [e for e in run.events() if e[0] == "renewal"] == []
