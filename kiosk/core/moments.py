"""Moments as the engine sees them: a wall-clock time for due dates, a monotonic one for timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Instant:
    wall: datetime  # aware; for an unsynced clock never behind the journal (``held_wall``)
    mono: float  # seconds on a monotonic clock; only compared within one run of the kiosk


@dataclass(frozen=True)
class Reading:
    """One look at the clocks."""

    wall: datetime  # aware
    mono: float
    synced: bool
    boot_id: str


def held_wall(now: Reading, last: Reading | None) -> datetime:
    """The wall time to use for a decision, given the journal's last event.

    A Pi has no real-time clock: after a power cut it may think it is 1970 or last Tuesday until
    the network is back. An unsynchronised clock must not run backwards past what the journal
    already recorded, or due dates and overdue checks would go wrong (the journal keeps the raw
    reading too). In the same boot the monotonic clock still says how much time has passed since
    that event, so the held time keeps moving. A synchronised clock is believed even when it is
    behind: that is how a kiosk recovers after once recording a time in the future.
    """
    if now.synced or last is None or now.wall >= last.wall:
        return now.wall
    if now.boot_id == last.boot_id and now.mono >= last.mono:
        return max(last.wall + timedelta(seconds=now.mono - last.mono), last.wall)
    return last.wall


def local_time(instant: Instant, timezone: str) -> datetime:
    """The library's local wall-clock time (zoneinfo caches each zone after its first load)."""
    return instant.wall.astimezone(ZoneInfo(timezone))
