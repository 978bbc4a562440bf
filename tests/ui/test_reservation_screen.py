"""Reservations (预约) on the real app under Xvfb (scripted mode), with the sample school on Monday
23 November: 草房子, reserved by 武老师, comes back at the door and the screen says to put it on
the reservations shelf; 任妍宇 is told it is kept for someone else; 武老师 is told at her greeting
and borrows it.

The shots, at 800x480 and 1920x1080 in both languages, land in .artifacts/issue16/reservations/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.clocks import ScriptedClock
from kiosk.commands.run import sample_school
from kiosk.core.reservations import Reservation
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.store import Cursor, PulledPage, Store
from tests.conftest import REPO, local
from tests.ui.app_runs import run_app

ARTIFACTS = REPO / ".artifacts" / "issue16" / "reservations"
ZILE, YANYU, TEACHER, GRASS_HOUSE = "202430101", "202430102", "T0001", "0001005"
SCRIPT = """\
# Monday 23 November, 12:40: the book comes back, a child tries it, the teacher collects it
2 0001005
4 202430102
6 0001005
8 @done
10 T0001
12 0001005
14 @done
"""


def _school_with_a_reservation(tmp: Path) -> Path:
    """The sample school with 草房子 lent to 孟子乐 and reserved by 武老师 (as the pull brings)."""
    db = sample_school(tmp / "kiosk.db")
    with Store(db) as store:
        clock = ScriptedClock(local("2026-11-23 12:15"))
        door = Door(store, clock)
        door.scan(ZILE)
        clock.advance(1)
        assert door.scan(GRASS_HOUSE).decision.outcome.value == "borrowed"  # type: ignore[union-attr]
        door.press(Button.DONE)
        door.close()
        reserved = [Reservation(1, TEACHER, None, GRASS_HOUSE)]
        page = PulledPage(snapshot=False, complete=True, cursor=Cursor(), reservations=reserved)
        store.sync.apply_pull(page)
    return db


@pytest.mark.parametrize("size", ["800x480", "1920x1080"])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_reserved_book_at_the_door(tmp_path: Path, lang: str, size: str) -> None:
    db = _school_with_a_reservation(tmp_path)
    shots = ARTIFACTS / lang / size
    run = run_app(tmp_path, SCRIPT, lang=lang, size=size, shots=shots, at="2026-11-23T12:40", db=db)
    assert run.status == 0, run.stderr
    for shot in run.shots:
        assert shot["overflowing"] == [], (shot["line"], shot["screen"], shot["overflowing"])
    zh = lang == "zh_CN"
    back = run.text(1)
    assert (
        "这本书有人预约了，请放到预约书架上"
        if zh
        else "Someone is waiting for this book: put it on the reservations shelf"
    ) in back
    assert "留" in run.texts(1)  # its own picture
    child, refused = run.text(2), run.text(3)
    assert ("预约" not in child) if zh else ("reserved" not in child)  # never told to others
    assert ("这本书是给别人留的" if zh else "kept for someone else") in refused
    teacher, borrowed = run.text(5), run.text(6)
    assert (
        "你预约的书到了：《草房子》" if zh else "The book you reserved is here: “草房子”"
    ) in teacher
    assert ("借好了！《草房子》" if zh else "Borrowed!") in borrowed
    kinds = [e[0] for e in run.events()]
    assert kinds.count("reservation_ready") == 1 and "checkout" in kinds
