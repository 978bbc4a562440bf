"""A kiosk's machine clock as the simulation steps it: a Raspberry Pi without a real-time clock.

The kiosk's processes read it through ``KIOSK_SIMULATED_CLOCK`` (kiosk.clocks.machine_clock):
the real clocks moved by offsets kept in a file. What a Pi's clock does is done here:

- time passes: the wall and monotonic clocks move on together (:meth:`PiClock.passed`);
- a power cut: a new boot, the monotonic clock restarts near 0, and the wall clock reads what
  fake-hwclock saved last, or 1970, or 2099 (a dead clock module), or weeks ahead, unsynchronised;
- a step while running (an unsynchronised clock set wrong): the wall clock only;
- NTP: the wall clock is stepped to the true time and is synchronised.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.clocks import SimulatedSetting
from tools.chaos.timeline import TrueTime

BOOT_SECONDS = 15.0  # a Pi is up this long before the kiosk's services run


class PiClock:
    def __init__(self, path: Path, truth: TrueTime, boot_id: str) -> None:
        self.path = path
        self.truth = truth
        self.setting = SimulatedSetting(
            wall_offset=truth.offset,
            mono_offset=BOOT_SECONDS - time.monotonic(),
            synced=True,
            boot_id=boot_id,
        )
        self.setting.write(path)

    @property
    def right(self) -> bool:
        """Synchronised, and reading the true time."""
        return self.setting.synced and abs(self.setting.wall_offset - self.truth.offset) < 1e-6

    def reads(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.setting.wall_offset, UTC)

    def passed(self, seconds: float) -> None:
        """``seconds`` of the simulated day went by with the machine running."""
        s = self.setting
        self._set(
            SimulatedSetting(s.wall_offset + seconds, s.mono_offset + seconds, s.synced, s.boot_id)
        )

    def power_cut(self, reads: datetime, boot_id: str) -> None:
        """The power went and came back: a new boot whose clock reads ``reads``, unsynchronised."""
        self._set(
            SimulatedSetting(
                reads.timestamp() - time.time(), BOOT_SECONDS - time.monotonic(), False, boot_id
            )
        )

    def step(self, reads: datetime) -> None:
        """The running machine's wall clock is set to ``reads``, unsynchronised (same boot)."""
        s = self.setting
        self._set(
            SimulatedSetting(reads.timestamp() - time.time(), s.mono_offset, False, s.boot_id)
        )

    def ntp(self) -> None:
        """NTP steps the wall clock to the true time and the clock is synchronised."""
        s = self.setting
        self._set(SimulatedSetting(self.truth.offset, s.mono_offset, True, s.boot_id))

    def _set(self, setting: SimulatedSetting) -> None:
        self.setting = setting
        setting.write(self.path)
