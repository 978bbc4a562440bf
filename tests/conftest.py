"""Shared test fixtures: a small school on a real SQLite file, driven through the real door."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.cli import main
from kiosk.clocks import ScriptedClock
from kiosk.core.decisions import Decision
from kiosk.core.models import ClassName, Copy, LoanType, Reader, ReaderRole
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from kiosk.core.session import Button, DeviceRole
from kiosk.door import Door, Handled
from kiosk.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "kiosk" / "sample"
# The files a school hands over (policy, roster, catalogue): the sample school's, shipped with the
# kiosk, so the suite runs from a clean clone alone.
EXAMPLES = SAMPLE
ZONE = ZoneInfo("Asia/Shanghai")
ISBN_ONLY = "9787419254125"  # two unlabelled copies of this ISBN in the test school

READERS = (
    Reader("S31", "明安", ReaderRole.STUDENT, ClassName(3, 1), 3),
    Reader("S31B", "梓俊", ReaderRole.STUDENT, ClassName(3, 1), 3),
    Reader("S32", "文沐", ReaderRole.STUDENT, ClassName(3, 2), 3),
    Reader("S11", "博桐", ReaderRole.STUDENT, ClassName(1, 1), 1),
    Reader("S42", "景宇", ReaderRole.STUDENT, ClassName(4, 2), 4),
    Reader("T1", "武老师", ReaderRole.TEACHER),
    Reader("GONE", "文涵", ReaderRole.STUDENT, ClassName(3, 1), 3, active=False),
)
COPIES = (
    Copy("B1", "小王子", isbn="9787049996228"),
    Copy("B2", "夏洛的网"),
    Copy("B3", "草房子"),
    Copy("B4", "城南旧事"),
    Copy("B5", "昆虫记"),
    Copy("R1", "新华字典", loan_type=LoanType.REFERENCE),
    Copy("W1", "旧书", active=False),
    Copy(f"{ISBN_ONLY}#1", "西游记", isbn=ISBN_ONLY, isbn_only=True),
    Copy(f"{ISBN_ONLY}#2", "西游记", isbn=ISBN_ONLY, isbn_only=True),
)


def local(text: str) -> datetime:
    """A time at the library, e.g. ``local("2026-11-23 12:15")`` (a Monday lunchtime)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def example_policy() -> Policy:
    return parse_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))


@dataclass
class School:
    """A kiosk at the test school, with a clock the test moves."""

    store: Store
    clock: ScriptedClock
    door: Door

    def scan(self, code: str, role: DeviceRole = DeviceRole.ANY) -> Decision:
        self.clock.advance(1)
        handled = self.door.scan(code, role)
        assert handled.decision is not None
        return handled.decision

    def handle(self, code: str) -> Handled:
        self.clock.advance(1)
        return self.door.scan(code)

    def press(self, button: Button) -> Decision:
        self.clock.advance(1)
        handled = self.door.press(button)
        assert handled.decision is not None
        return handled.decision

    def borrow_then_return(self, card: str, barcode: str) -> Decision:
        """A child borrows a book, presses Done, and later brings it back: the return."""
        self.scan(card)
        self.scan(barcode)
        self.press(Button.DONE)
        self.clock.advance(10)  # past the double-read window
        return self.scan(barcode)

    def go_to(self, when: str) -> None:
        target = local(when)
        self.clock.advance((target - self.clock.read().wall).total_seconds())

    def restart(self) -> None:
        """A new door on the same file, as after the kiosk process restarts."""
        self.restart_with(self.clock)

    def restart_with(self, clock: ScriptedClock) -> None:
        """A restart with another clock (a reboot: a new boot id, another idea of the time)."""
        self.clock = clock
        self.door = Door(self.store, clock, policy=self.door.policy)


def make_school(path: Path, policy: Policy, start: str = "2026-11-23 12:15") -> School:
    store = Store.create(path, "test-door")
    store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(READERS)
    store.import_copies(COPIES)
    clock = ScriptedClock(local(start))
    counter = iter(range(1, 1_000_000))
    door = Door(store, clock, policy=policy, new_id=lambda: f"session-{next(counter)}")
    return School(store, clock, door)


@pytest.fixture
def school(tmp_path: Path) -> Iterator[School]:
    s = make_school(tmp_path / "kiosk.db", example_policy())
    yield s
    s.store.close()


# -- the `kiosk` command in-process on real files --------------------------------------------

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return _run


@pytest.fixture
def db(tmp_path: Path, run: Run) -> Path:
    path = tmp_path / "kiosk.db"
    assert run("init", "--db", path, "--kiosk-id", "door-1")[0] == 0
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        status, _out, err = run("import", kind, EXAMPLES / name, "--db", path)
        assert status == 0, err
    return path


def scan_json(run: Run, db: Path, at: str, *codes: str) -> list[dict[str, object]]:
    status, out, err = run("scan", "--db", db, "--at", at, "--json", *codes)
    assert status == 0, err
    return [json.loads(line) for line in out.splitlines()]


# -- slices of the suite ---------------------------------------------------------------------
# What each test needs beyond Python, so a developer can run a fast slice (README) while
# `.ci/run` runs everything. Marked here, in one place, by where the tests are and what they
# use: a new test in one of these files is marked without anyone remembering to.
_NEEDS: dict[str, tuple[str, ...]] = {
    # the Kivy app for real, under Xvfb
    "xvfb": ("tests/ui/test_app.py", "tests/ui/test_real_keys.py", "tests/ui/test_screenshots.py",
             "tests/ui/test_renewal_screen.py", "tests/web/test_kiosk_seams.py"),
    # Debian's Chromium, driven by Playwright
    "browser": ("tests/web/test_browser.py",),
    # root: the install scripts, new mount namespaces
    "root": ("tests/appliance/", "tests/store/test_read_only.py"),
    # minutes of real processes: the chaos and fuzz runs, crashes, every damaged page, benchmarks
    "slow": ("tests/chaos/test_chaos_short.py", "tests/fuzz/test_fuzz.py",
             "tests/store/test_crash.py", "tests/store/test_damaged_pages.py",
             "tests/sync/test_end_to_end.py", "tests/sync/test_renewal_end_to_end.py",
             "tests/sync/test_restores.py", "tests/test_bench.py",
             "tests/web/test_bench_web.py", "tests/appliance/"),
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.nodeid.split("::", 1)[0]
        for mark, places in _NEEDS.items():
            if any(where == p or (p.endswith("/") and where.startswith(p)) for p in places):
                item.add_marker(mark)
        # A real PostgreSQL: the fixtures parametrised over both databases name it in the id.
        if "postgresql" in item.nodeid or "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker("postgres")
