"""Where the kiosk's time comes from: the system clock on a Pi, a scripted one for `kiosk scan`,
or a simulated machine clock that a simulation steps as a Pi without a real-time clock does.

Which machine clock a command uses is chosen in one place, :func:`machine_clock`: the system's,
unless ``KIOSK_SIMULATED_CLOCK`` names a simulated clock's file (tools/chaos, docs/chaos.md).
Never a fallback: a file that cannot be read is an error, not the system clock.
"""

from __future__ import annotations

import errno
import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields
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


SIMULATED_CLOCK_VARIABLE = "KIOSK_SIMULATED_CLOCK"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SimulatedClockError(OSError):
    """A simulated clock's file that cannot be used; the `kiosk` command prints it as one line
    naming the file (an OSError, as any file it cannot read)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(errno.EINVAL, problem, str(path))


@dataclass(frozen=True)
class SimulatedSetting:
    """What a simulated machine clock's file holds: how it differs from the real clocks.

    A Pi without a real-time clock, as a simulation sets it: after a power cut the wall clock
    reads the last saved time or 1970 and is not synchronised, a dead clock module reads 2099,
    NTP then steps it to the truth; each boot has its own id and a monotonic clock that starts
    near 0 (``mono_offset`` about minus the real monotonic time at the simulated boot).
    """

    wall_offset: float  # seconds added to the real wall-clock time
    mono_offset: float  # seconds added to the real monotonic time
    synced: bool  # what systemd-timesyncd's flag would say
    boot_id: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SimulatedSetting:
        """The setting a file holds; ValueError saying what was expected."""
        expected = (
            'expected {"wall_offset": SECONDS, "mono_offset": SECONDS, "synced": true|false, '
            '"boot_id": TEXT}'
        )
        try:
            obj = json.loads(text)
        except ValueError:
            raise ValueError(f"not JSON: {expected}") from None
        if not isinstance(obj, dict) or set(obj) != {f.name for f in fields(cls)}:
            raise ValueError(expected)
        wall, mono, synced, boot = (
            obj[k] for k in ("wall_offset", "mono_offset", "synced", "boot_id")
        )
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in (wall, mono)
        )
        if not numbers or not isinstance(synced, bool) or not isinstance(boot, str) or not boot:
            raise ValueError(expected)
        return cls(float(wall), float(mono), synced, boot)

    def write(self, path: Path) -> None:
        """Replace the file at once: a process reading it sees the old setting or the new."""
        part = path.with_name(path.name + ".part")
        part.write_text(self.to_json(), encoding="utf-8")
        part.replace(path)


class SimulatedMachineClock:
    """The machine's clock as a simulation sets it: the real clocks moved by the offsets in a
    file (:class:`SimulatedSetting`), read again at every ``read()`` so that a running kiosk
    sees its clock stepped, as a Pi's is by a power cut or by NTP."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._setting()  # a missing or wrong file is refused at once, not at the first scan

    def _setting(self) -> SimulatedSetting:
        try:
            return SimulatedSetting.from_json(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SimulatedClockError(
                self.path, f"cannot read the simulated clock ({exc.strerror})"
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise SimulatedClockError(self.path, f"not a simulated clock: {exc}") from None

    def read(self) -> Reading:
        s = self._setting()
        wall = _EPOCH + timedelta(seconds=time.time() + s.wall_offset)
        return Reading(wall, time.monotonic() + s.mono_offset, s.synced, s.boot_id)


def machine_clock() -> Clock:
    """The machine's clock for `kiosk scan`, `kiosk sync` and `kiosk run`: the system's, or
    the simulated one whose file ``KIOSK_SIMULATED_CLOCK`` names (the chaos simulation).

    Set but empty, or naming a file that is not a simulated clock, is an error: a kiosk never
    runs on a simulated clock, nor on the system's, by accident.
    """
    path = os.environ.get(SIMULATED_CLOCK_VARIABLE)
    if path is None:
        return SystemClock()
    if not path.strip():
        raise SimulatedClockError(
            Path(path), f"{SIMULATED_CLOCK_VARIABLE} is set but names no file"
        )
    return SimulatedMachineClock(Path(path))


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
