"""Moments as the engine sees them: a wall-clock time for due dates, a monotonic one for timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Instant:
    wall: datetime  # aware; never earlier than the journal's last event (see ``held_wall``)
    mono: float  # seconds on a monotonic clock; only compared within one run of the kiosk

    def plus(self, seconds: float) -> Instant:
        return Instant(self.wall + timedelta(seconds=seconds), self.mono + seconds)


def held_wall(wall: datetime, last_recorded: datetime | None) -> tuple[datetime, bool]:
    """The wall time to use, and whether it was held back.

    A Pi has no real-time clock: after a power cut it may think it is 1970 or last Tuesday until
    the network is back. Time must not run backwards past what the journal already recorded, or
    due dates and overdue checks would go wrong; the journal keeps the raw time too.
    """
    if last_recorded is not None and wall < last_recorded:
        return last_recorded, True
    return wall, False


def local_time(instant: Instant, timezone: str) -> datetime:
    """The library's local wall-clock time (zoneinfo caches each zone after its first load)."""
    return instant.wall.astimezone(ZoneInfo(timezone))


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
