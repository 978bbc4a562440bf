"""Where the kiosk's time comes from: the system clock on a Pi, a scripted one for `kiosk scan`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from kiosk.core.moments import ClockSource, Reading

# systemd-timesyncd creates this file once the clock has been synchronised over the network.
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def read(self) -> Reading: ...


class SteppingClock(Clock, Protocol):
    """A clock that scripted input can move on (`@wait=SECONDS`, one second between scans)."""

    def advance(self, seconds: float) -> None: ...


def current_boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return "unknown"


class SystemClock:
    def __init__(self) -> None:
        self.boot_id = current_boot_id()

    def read(self) -> Reading:
        return Reading(datetime.now(UTC), time.monotonic(), TIMESYNC_FLAG.exists(), self.boot_id)


class ScriptedClock:
    """A clock that starts at a given time and moves only when told (the tests, ``--at``).

    ``source=ClockSource.OPERATOR`` is a time a person typed: the door uses it as given and it
    never becomes the baseline that holds the real clock later (see kiosk.core.moments).
    """

    def __init__(
        self,
        start: datetime,
        *,
        synced: bool = True,
        boot_id: str = "scripted",
        source: ClockSource = ClockSource.SYSTEM,
    ) -> None:
        self.boot_id = boot_id
        self.synced = synced
        self.source = source
        self._wall = start.astimezone(UTC)
        self._mono = 0.0

    @classmethod
    def given(cls, start: datetime) -> ScriptedClock:
        """The clock of ``--at TIME``: the operator's time, not a synchronised reading."""
        return cls(start, synced=False, source=ClockSource.OPERATOR)

    def read(self) -> Reading:
        return Reading(self._wall, self._mono, self.synced, self.boot_id, self.source)

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds


class AdvancedClock:
    """The system clock, moved on by what a script asked to wait (`kiosk scan` without --at)."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = 0.0

    def read(self) -> Reading:
        now = self._base.read()
        return Reading(
            now.wall + timedelta(seconds=self._offset),
            now.mono + self._offset,
            now.synced,
            now.boot_id,
            now.source,
        )

    def advance(self, seconds: float) -> None:
        self._offset += seconds
