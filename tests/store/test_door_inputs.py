"""The door's inputs besides scans, as the touchscreen sends them: a touch keeps a child's visit
open, a button pressed before the time-out counts even if the door gets it late, and rules the
sync worker saved are used from the next visit on, never in the middle of one."""

from __future__ import annotations

from datetime import timedelta

from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.session import Button
from tests.conftest import School

IDLE = 20  # session.idle_seconds of the example policy


def test_a_touch_keeps_a_childs_visit_open(school: School) -> None:
    assert school.door.touch().decision is None  # nobody at the door: nothing happens
    assert list(school.store.events()) == []
    school.scan("S31")
    school.clock.advance(IDLE - 2)
    school.door.touch()  # she is still reading the screen
    school.clock.advance(IDLE - 2)
    assert school.door.tick().ended is None
    assert school.door.state.session is not None
    school.clock.advance(3)
    ended = school.door.tick().ended
    assert ended is not None and ended.reason is Reason.IDLE_TIMEOUT


def test_done_pressed_before_the_time_out_counts_though_the_door_gets_it_late(
    school: School,
) -> None:
    school.scan("S31")
    pressed_at = school.clock.read().mono + IDLE - 1
    school.clock.advance(IDLE + 5)  # the screen's thread was busy
    answer = school.door.press(Button.DONE, mono=pressed_at).decision
    assert answer is not None and answer.reason is Reason.FINISHED
    ends = [e.event for e in school.store.events() if e.event.type is EventType.SESSION_ENDED]
    assert [e.reason for e in ends] == [Reason.FINISHED]


def test_rules_the_worker_saved_apply_from_the_next_visit_on(school: School) -> None:
    source = school.store.policy_source() or ""
    school.scan("S31")
    school.store.save_policy(source.replace("days = 14", "days = 7"))  # mid-visit
    first = school.scan("B2")
    school.press(Button.DONE)
    school.clock.advance(10)
    school.door.tick()  # the screen's timer, with nobody at the door
    school.scan("S32")
    second = school.scan("B3")
    assert first.outcome is second.outcome is Outcome.BORROWED
    assert first.due is not None and second.due is not None
    lent_on = school.clock.read().wall.date()
    assert first.due - lent_on >= timedelta(days=14)  # her visit kept the rules it began with
    assert second.due - lent_on < timedelta(days=14)
