"""A front desk on the test school's real SQLite file, with a clock the test moves; what it
says is read as the screen would show it (the touchscreen's presenters)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from hardware import Reason as ScannerReason
from hardware import ScanEvent, ScannerProblem, ScannerReady, ScannerRole
from kiosk.clocks import ScriptedClock
from kiosk.config import KioskConfig, hash_pin
from kiosk.config import load as load_config
from kiosk.desk.front_desk import FrontDesk
from kiosk.desk.inputs import Exit, Tap, Tick, Update
from kiosk.desk.scanners import Scanners
from kiosk.store import Store
from kiosk.ui.presenters import present
from kiosk.ui.views import View
from tests.conftest import COPIES, EXAMPLES, READERS, local

PIN = "2468"


def school_file(path: Path) -> Path:
    store = Store.create(path, "test-door")
    store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(READERS)
    store.import_copies(COPIES)
    store.close()
    return path


def desk_config(db: Path, **changes: object) -> KioskConfig:
    base = replace(
        load_config(None),
        database=db,
        data_dir=db.parent,
        pin_hash=hash_pin(PIN, salt=b"0123456789abcdef"),
        librarian_cards=frozenset({"LIB1"}),
        helper_cards=frozenset({"HELP1"}),
        new_arrivals=("B5", "W1", "B4"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class Desk:
    desk: FrontDesk
    clock: ScriptedClock

    @property
    def view(self) -> View:
        """What the screen shows now."""
        return present(self.desk.shown)

    def scan(self, code: str, source: str = "book-scanner", *, later: float = 1) -> Update | None:
        self.clock.advance(later)
        event = ScanEvent(code, ScannerRole.ANY, source, self.clock.read().mono)
        result = self.desk.handle(event)
        assert not isinstance(result, Exit)
        return result

    def tap(self, target: str, *, later: float = 1) -> Update | Exit | None:
        self.clock.advance(later)
        return self.desk.handle(Tap(target, self.clock.read().mono))

    def wait(self, seconds: float) -> Update | Exit | None:
        self.clock.advance(seconds)
        return self.desk.handle(Tick())

    def unplug(self, source: str = "book-scanner") -> Update | Exit | None:
        mono = self.clock.read().mono
        return self.desk.handle(
            ScannerProblem(source, ScannerRole.BOOK, ScannerReason.DISCONNECTED, "gone", mono)
        )

    def replug(self, source: str = "book-scanner") -> Update | Exit | None:
        mono = self.clock.read().mono
        return self.desk.handle(ScannerReady(source, ScannerRole.BOOK, "/dev/x", mono))


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    db = school_file(tmp_path / "kiosk.db")
    clock = ScriptedClock(local("2026-11-23 12:15"))
    store = Store(db)
    counter = iter(range(1, 1_000_000))
    front = FrontDesk(
        store,
        clock,
        desk_config(db),
        Scanners(["card-scanner", "book-scanner"]),
        new_id=lambda: f"session-{next(counter)}",
    )
    yield Desk(front, clock)
    store.close()
