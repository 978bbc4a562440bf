"""The door's time on a real file: an operator's --at, a bogus unsynchronised jump, a synced fix."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.clocks import ScriptedClock
from kiosk.core.decisions import Outcome, Reason
from kiosk.core.moments import ClockSource
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.store import Store
from tests.conftest import School, local


def _pi_clock(when: str, boot: str) -> ScriptedClock:
    """The Pi's own clock, not synchronised (no network), in a boot of its own."""
    return ScriptedClock(local(when), synced=False, boot_id=boot)


def test_an_operator_time_in_the_far_future_does_not_hold_the_real_clock(
    school: School, capsys: pytest.CaptureFixture[str]
) -> None:
    path = school.store.path
    school.store.close()
    # Someone tries the command line with a time far ahead: refused as outside the term.
    assert main(["scan", "--db", str(path), "--at", "2099-01-05T12:15", "--json", "S31", "B2"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[1])["reason"] == "outside_term"
    # Then the kiosk runs on its own unsynchronised clock: the 2099 events do not hold it.
    store = Store(path)
    try:
        door = Door(store, _pi_clock("2026-11-23 12:20", "boot-2"), policy=school.door.policy)
        door.scan("S31")
        decision = door.scan("B2").decision
        assert decision is not None and decision.outcome is Outcome.BORROWED
        assert decision.due == date(2026, 12, 7)
        events = list(store.events())
        sources = [e.stamp.source for e in events]
        assert sources[:3] == [ClockSource.OPERATOR] * 3  # start, refusal, end of the --at run
        assert events[-1].stamp.source is ClockSource.SYSTEM
        assert events[-1].stamp.wall == local("2026-11-23 12:20")
    finally:
        store.close()


def test_a_bogus_unsynchronised_jump_does_not_lock_the_door(school: School) -> None:
    school.scan("S31")  # a synchronised reading on Monday lunchtime
    school.press(Button.DONE)
    synced_at = school.clock.read().wall
    # A reboot with a dead clock battery and no network: the clock says 2099.
    school.clock = _pi_clock("2099-03-02 12:15", "boot-2")
    school.restart_with(school.clock)
    school.scan("S32")
    decision = school.scan("B3")
    assert decision.outcome is Outcome.BORROWED and decision.due == date(2026, 12, 7)
    events = list(school.store.events())
    assert all(e.stamp.wall.year == 2026 for e in events)
    # Held at the last trustworthy reading, then moving on with this boot's monotonic clock.
    assert events[-2].stamp.wall == synced_at
    assert (events[-1].stamp.wall - synced_at).total_seconds() == 1
    assert events[-1].stamp.clock.year == 2099  # what the clock said is kept


def test_a_synchronised_clock_in_the_future_is_believed_and_then_corrected(
    school: School,
) -> None:
    school.go_to("2099-01-05 12:15")
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED
    assert school.scan("B2").reason is Reason.OUTSIDE_TERM  # synced: believed, whatever it says
    school.press(Button.DONE)
    school.go_to("2026-11-23 12:20")  # the network set it right
    school.restart()
    school.scan("S31")
    assert school.scan("B2").outcome is Outcome.BORROWED


def test_the_journal_says_where_each_time_came_from(
    tmp_path: Path, school: School, capsys: pytest.CaptureFixture[str]
) -> None:
    path = school.store.path
    school.scan("S31")
    school.press(Button.DONE)
    school.store.close()
    assert main(["scan", "--db", str(path), "--at", "2026-11-23T12:30", "S32"]) == 0
    capsys.readouterr()
    assert main(["events", "--db", str(path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["clock_source"] for line in lines] == ["system"] * 2 + ["operator"] * 2
    assert {line["format"] for line in lines} == {2}


def test_the_servers_time_puts_a_wrong_unsynchronised_clock_right(school: School) -> None:
    # No NTP through the school's firewall: the Pi's clock says last June, unsynchronised.
    school.clock = _pi_clock("2026-06-01 09:00", "boot-2")
    school.restart_with(school.clock)
    # The sync worker, in this boot, heard the server's time over verified TLS.
    school.store.sync.record_server_clock(local("2026-11-23 12:15"), school.clock.read())
    school.clock.advance(60)
    school.scan("S31")  # a Monday lunchtime for her class, by the server's time
    decision = school.scan("B2")
    assert decision.outcome is Outcome.BORROWED and decision.due == date(2026, 12, 7)
    last = list(school.store.events())[-1]
    # The server's time, moved on by the monotonic clock (a minute, then two scans).
    assert last.stamp.wall == local("2026-11-23 12:16:02")
    assert last.stamp.clock == local("2026-06-01 09:01:02")  # what the Pi's clock said, kept
    # After a reboot the server's word is no longer this boot's: held as before, not believed.
    school.clock = _pi_clock("2026-06-02 09:00", "boot-3")
    school.restart_with(school.clock)
    school.scan("S32")
    ended, started = list(school.store.events())[-2:]
    assert ended.event.reason is Reason.RESTART and ended.stamp.wall == last.stamp.wall
    assert (started.stamp.wall - ended.stamp.wall).total_seconds() == 1
