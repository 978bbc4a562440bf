"""Moments as the engine sees them: a wall-clock time for due dates, a monotonic one for timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Instant:
    wall: datetime  # aware; never earlier than the journal's last event (see ``held_wall``)
    mono: float  # seconds on a monotonic clock; only compared within one run of the kiosk


def held_wall(wall: datetime, synced: bool, last_recorded: datetime | None) -> datetime:
    """The wall time to use for a decision.

    A Pi has no real-time clock: after a power cut it may think it is 1970 or last Tuesday until
    the network is back. An unsynchronised clock must not run backwards past what the journal
    already recorded, or due dates and overdue checks would go wrong (the journal keeps the raw
    reading too). A synchronised clock is believed even then: it is how a kiosk recovers from
    having once recorded a time in the future.
    """
    if not synced and last_recorded is not None and wall < last_recorded:
        return last_recorded
    return wall


def local_time(instant: Instant, timezone: str) -> datetime:
    """The library's local wall-clock time (zoneinfo caches each zone after its first load)."""
    return instant.wall.astimezone(ZoneInfo(timezone))
