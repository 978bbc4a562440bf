"""Everything the app is started with, chosen in one place (``kiosk run``): no Kivy here.

The readers are opened here from the config, each with its name and role, and with the
reader's own debounce off: one layer decides what a double read is, the policy's
``loans.duplicate_scan_seconds`` in the engine (it is journaled as ``duplicate_scan`` and
slides while a card lies on the reader). In the scripted and demo modes the configured readers
are replaced by ``fake:`` readers of the same names and roles, plus one ``script`` (or
``demo``) reader of role ``any`` that the script or the on-screen buttons type into.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hardware import FakeReader, Host, Reader, open_reader
from kiosk.clocks import Clock, current_boot_id
from kiosk.config import KioskConfig, ReaderConfig
from kiosk.core.moments import ClockSource, Reading
from kiosk.ui.script_file import ScriptLine


@dataclass
class Runtime:
    config: KioskConfig
    clock: Clock
    readers: dict[str, Reader]
    size: tuple[int, int]
    fullscreen: bool
    kiosk: bool  # keys, Escape and close requests do nothing; no cursor
    script: tuple[ScriptLine, ...] | None = None
    shots: Path | None = None
    timings: Path | None = None
    demo: bool = False
    new_id: Callable[[], str] | None = None
    advance: Callable[[float], None] | None = None  # moves a scripted clock
    typed_reader: str | None = None  # the reader the script or the demo buttons type into
    demo_codes: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def reader_url(reader: ReaderConfig) -> str:
    separator = "&" if "?" in reader.url else "?"
    return f"{reader.url}{separator}role={reader.role}&name={reader.name}&debounce=0"


def open_readers(
    config: KioskConfig, *, fake: bool, typed: str | None, clock: Clock
) -> dict[str, Reader]:
    """The configured readers (as fakes when ``fake``), plus the typed-into reader if any.

    Raises ReaderUrlError / MissingExtra for a reader that cannot work, before anything starts.
    Readers stamp scans with the kiosk clock's monotonic time, so the door's timers and the
    readers' timestamps are on one scale (a scripted clock in the scripted mode).
    """
    host = Host(clock=lambda: clock.read().mono)
    readers: dict[str, Reader] = {}
    for r in config.readers:
        url = f"fake:?role={r.role}&name={r.name}&debounce=0" if fake else reader_url(r)
        readers[r.name] = open_reader(url, host=host)
    if typed is not None:
        readers[typed] = open_reader(f"fake:?role=any&name={typed}&debounce=0", host=host)
    return readers


def fake(readers: dict[str, Reader], name: str) -> FakeReader | None:
    reader = readers.get(name)
    return reader if isinstance(reader, FakeReader) else None


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
