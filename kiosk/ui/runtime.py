"""Everything the app is started with, chosen in one place (``kiosk run``): no Kivy here.

The scanners are opened here from the config, each with its name and role, and with the
scanner's own debounce off: one layer decides what a double read is, the policy's
``loans.duplicate_scan_seconds`` in the engine (it is journaled as ``duplicate_scan`` and
slides while a card lies on the scanner). In the scripted and demo modes the configured scanners
are replaced by ``fake:`` scanners of the same names and roles, plus one ``script`` (or
``demo``) scanner of role ``any`` that the script or the on-screen buttons type into.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hardware import FakeScanner, Host, Scanner, open_scanner
from kiosk.clocks import Clock, current_boot_id
from kiosk.config import KioskConfig, ScannerConfig
from kiosk.core.moments import ClockSource, Reading
from kiosk.ui.script_file import ScriptLine


@dataclass
class Runtime:
    config: KioskConfig
    clock: Clock
    scanners: dict[str, Scanner]
    size: tuple[int, int]
    fullscreen: bool
    kiosk: bool  # keys, Escape and close requests do nothing; no cursor
    script: tuple[ScriptLine, ...] | None = None
    shots: Path | None = None
    timings: Path | None = None
    demo: bool = False
    new_id: Callable[[], str] | None = None
    advance: Callable[[float], None] | None = None  # moves a scripted clock
    typed_scanner: str | None = None  # the scanner the script or the demo buttons type into
    demo_codes: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def scanner_url(scanner: ScannerConfig) -> str:
    separator = "&" if "?" in scanner.url else "?"
    return f"{scanner.url}{separator}role={scanner.role}&name={scanner.name}&debounce=0"


def open_scanners(
    config: KioskConfig, *, fake: bool, typed: str | None, clock: Clock
) -> dict[str, Scanner]:
    """The configured scanners (as fakes when ``fake``), plus the typed-into scanner if any.

    Raises ScannerUrlError / MissingExtra for a scanner that cannot work, before anything starts.
    Scanners stamp scans with the kiosk clock's monotonic time, so the door's timers and the
    scanners' timestamps are on one scale (a scripted clock in the scripted mode).
    """
    host = Host(clock=lambda: clock.read().mono)
    scanners: dict[str, Scanner] = {}
    for r in config.scanners:
        url = f"fake:?role={r.role}&name={r.name}&debounce=0" if fake else scanner_url(r)
        scanners[r.name] = open_scanner(url, host=host)
    if typed is not None:
        scanners[typed] = open_scanner(f"fake:?role=any&name={typed}&debounce=0", host=host)
    return scanners


def fake(scanners: dict[str, Scanner], name: str) -> FakeScanner | None:
    scanner = scanners.get(name)
    return scanner if isinstance(scanner, FakeScanner) else None


class StartedClock:
    """Real time from a given start (`kiosk run --demo --at ...`): the demo's lunchtime moves
    on second by second. As with `kiosk scan --at`, it is the operator's time: used as given,
    and never the baseline that holds the real clock afterwards (kiosk.core.moments)."""

    def __init__(self, start: datetime) -> None:
        self._start, self._mono0 = start, time.monotonic()
        self.boot_id = current_boot_id()

    def read(self) -> Reading:
        mono = time.monotonic()
        wall = self._start + timedelta(seconds=mono - self._mono0)
        return Reading(wall, mono, False, self.boot_id, ClockSource.OPERATOR)
