"""Where the kiosk's time comes from: the system clock on a Pi, a scripted one for `kiosk scan`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from kiosk.core.moments import Reading

# systemd-timesyncd creates this file once the clock has been synchronised over the network.
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def read(self) -> Reading: ...


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
    """A clock that starts at a given time and moves only when told (``kiosk scan``, tests)."""

    def __init__(self, start: datetime, *, synced: bool = True, boot_id: str = "scripted") -> None:
        self.boot_id = boot_id
        self.synced = synced  # a time the operator gave (`kiosk scan --at`) is trusted
        self._wall = start.astimezone(UTC)
        self._mono = 0.0

    def read(self) -> Reading:
        return Reading(self._wall, self._mono, self.synced, self.boot_id)

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds
