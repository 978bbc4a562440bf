"""The door's own thread: the screen never waits on SQLite, and an unusable database heals."""

from __future__ import annotations

import queue
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from hardware import Reason, ScanEvent, ScannerProblem, ScannerRole
from kiosk.clocks import ScriptedClock
from kiosk.desk.door_thread import DoorThread
from kiosk.desk.inputs import Exit, Tick, Update
from kiosk.store import Store
from kiosk.ui.presenters import present
from kiosk.ui.views import FaultView, IdleView, SessionView, View
from tests.conftest import local
from tests.desk.conftest import desk_config, school_file

WAIT = 10.0  # seconds a test waits for the door thread's answer before it fails


def start(db: Path, clock: ScriptedClock) -> tuple[DoorThread, queue.SimpleQueue[Update | Exit]]:
    answers: queue.SimpleQueue[Update | Exit] = queue.SimpleQueue()
    door = DoorThread(desk_config(db), clock, ["card-scanner"], answers.put, tick_seconds=None)
    door.start()
    return door, answers


def settle(door: DoorThread) -> None:
    """Until the door has answered everything submitted (it runs on its own thread)."""
    deadline = time.monotonic() + WAIT
    while not door.idle:
        assert time.monotonic() < deadline, "the door did not answer"


def view(answers: queue.SimpleQueue[Update | Exit]) -> View:
    answer = answers.get(timeout=WAIT)
    assert isinstance(answer, Update)
    return present(answer.facts)


def test_a_scan_is_taken_at_once_while_another_program_holds_the_database(tmp_path: Path) -> None:
    db = school_file(tmp_path / "kiosk.db")
    clock = ScriptedClock(local("2026-11-23 12:15"))
    door, answers = start(db, clock)
    assert isinstance(view(answers), IdleView)
    sync_worker = sqlite3.connect(db, isolation_level=None)
    sync_worker.execute("BEGIN IMMEDIATE")  # the sync worker writing for a while
    door.submit(ScanEvent("S31", ScannerRole.CARD, "card-scanner", clock.read().mono))
    # submit() returned: the screen's thread is free; the answer is pending ("稍等").
    assert not door.idle
    assert door.waiting_since is not None
    assert answers.empty()
    sync_worker.execute("COMMIT")
    assert isinstance(view(answers), SessionView)
    assert door.idle and door.waiting_since is None
    assert door.stop()
    sync_worker.close()


def test_an_unusable_database_comes_back_by_itself(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    clock = ScriptedClock(local("2026-11-23 12:15"))
    answers: queue.SimpleQueue[Update | Exit] = queue.SimpleQueue()
    config = replace(
        desk_config(db), screens=replace(desk_config(db).screens, fault_retry_seconds=5)
    )
    door = DoorThread(config, clock, ["card-scanner"], answers.put, tick_seconds=None)
    door.start()
    assert isinstance(view(answers), FaultView)
    school_file(db)  # the IT teacher puts the file back
    clock.advance(2)
    door.submit(Tick())
    settle(door)
    assert answers.empty()  # not yet: the fault screen stays until the retry time
    clock.advance(4)
    door.submit(Tick())
    assert isinstance(view(answers), IdleView)  # back by itself
    assert door.stop()


def test_a_scanner_unplugged_while_the_database_is_out_is_still_out_when_it_comes_back(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kiosk.db"
    clock = ScriptedClock(local("2026-11-23 12:15"))
    answers: queue.SimpleQueue[Update | Exit] = queue.SimpleQueue()
    config = replace(
        desk_config(db), screens=replace(desk_config(db).screens, fault_retry_seconds=5)
    )
    door = DoorThread(config, clock, ["card-scanner"], answers.put, tick_seconds=None)
    door.start()
    assert isinstance(view(answers), FaultView)
    mono = clock.read().mono
    door.submit(ScannerProblem("card-scanner", ScannerRole.CARD, Reason.DISCONNECTED, "gone", mono))
    school_file(db)
    clock.advance(6)
    door.submit(Tick())
    back = view(answers)
    assert isinstance(back, FaultView)
    assert back.details == ("扫描器“card-scanner”：没有连接",)
    assert door.stop()
    with Store(db) as store:
        assert store.sync.scanner_states() == [("card-scanner", "disconnected")]


def test_a_scanner_no_longer_configured_is_no_longer_reported(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    school_file(db)
    with Store(db) as store:  # last term the kiosk had a second scanner, since unplugged
        store.sync.set_scanner_state("old-book-scanner", "disconnected")
    clock = ScriptedClock(local("2026-11-23 12:15"))
    answers: queue.SimpleQueue[Update | Exit] = queue.SimpleQueue()
    door = DoorThread(desk_config(db), clock, ["card-scanner"], answers.put, tick_seconds=None)
    door.start()
    view(answers)
    assert door.stop()
    with Store(db) as store:
        assert "old-book-scanner" not in [name for name, _ in store.sync.scanner_states()]
