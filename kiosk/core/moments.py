"""Moments as the engine sees them, and which wall-clock time the door may believe.

A Pi has no real-time clock: after a power cut it may think it is 1970 or last Tuesday until the
network is back, and a bad clock module can even jump years ahead. The rules for which time a
decision uses are here, as one pure function, so that the door, the scripted mode and the tests
agree. ``docs/architecture.md`` ("Time") says the same in words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# An unsynchronised reading more than this far ahead of the last synchronised one is not
# believed. A kiosk can run offline for a whole summer with its clock moving on (fake-hwclock
# restores it at boot), so the bound is generous; the bogus readings it catches are years out
# (a dead clock battery reads 2099, 2038).
MAX_UNSYNCED_LEAD = timedelta(days=400)


class ClockSource(enum.StrEnum):
    """Where a reading's wall-clock time came from."""

    SYSTEM = "system"  # the machine's clock (synchronised or not: see ``Reading.synced``)
    OPERATOR = "operator"  # a time a person typed (`kiosk scan --at`, the scripted mode)


@dataclass(frozen=True)
class Instant:
    wall: datetime  # aware; the time the decision uses (see ``believed_wall``)
    mono: float  # seconds on a monotonic clock; only compared within one run of the kiosk


@dataclass(frozen=True)
class Reading:
    """One look at the clocks."""

    wall: datetime  # aware
    mono: float
    synced: bool
    boot_id: str
    source: ClockSource = ClockSource.SYSTEM


def believed_wall(
    now: Reading, last: Reading | None, anchor: Reading | None, server: Reading | None = None
) -> datetime:
    """The wall time a decision uses.

    ``last`` is the journal's latest event stamped from the system clock, ``anchor`` its latest
    event stamped from a synchronised system clock (None when there is none), ``server`` the
    school's server's time at its last answer to the sync worker, on this kiosk's monotonic
    clock (None before the first).

    - A time an operator gives is used as given: they asked for that moment. It is never a
      ``last`` or an ``anchor`` (the store leaves such events out), so a test run with
      ``--at 2099-...`` cannot hold the real clock afterwards.
    - A synchronised clock is believed, even when behind the journal: that is how a kiosk
      recovers after once recording a time in the future.
    - So is the server's time, for the rest of the boot it was read in: the server answered over
      verified TLS, and the monotonic clock says how long ago. Where a school's firewall blocks
      NTP this is the only trustworthy time the kiosk ever gets. From an earlier boot it is
      still a trustworthy reading to judge others by (an ``anchor``).
    - An unsynchronised clock never runs backwards past ``last``: due dates and overdue checks
      would go wrong. Within the same boot the held time moves on with the monotonic clock.
    - Except that a reading far ahead of any trustworthy one is not a baseline: ``last``, or the
      current reading, more than :data:`MAX_UNSYNCED_LEAD` after ``anchor`` is ignored in favour
      of the anchor, so one bogus jump cannot lock the door in the future for good.
    """
    if now.source is ClockSource.OPERATOR or now.synced:
        return now.wall
    if server is not None:
        if server.boot_id == now.boot_id and now.mono >= server.mono:
            return server.wall + timedelta(seconds=now.mono - server.mono)
        if anchor is None or server.wall > anchor.wall:
            anchor = server
    baseline = anchor if last is not None and _implausible(last, anchor) else last
    if not _implausible(now, anchor) and (baseline is None or now.wall >= baseline.wall):
        return now.wall
    assert baseline is not None  # an implausible reading implies an anchor
    if now.boot_id == baseline.boot_id and now.mono >= baseline.mono:
        return baseline.wall + timedelta(seconds=now.mono - baseline.mono)
    return baseline.wall


def _implausible(reading: Reading, anchor: Reading | None) -> bool:
    return (
        anchor is not None and not reading.synced and reading.wall - anchor.wall > MAX_UNSYNCED_LEAD
    )


def local_time(instant: Instant, timezone: str) -> datetime:
    """The library's local wall-clock time (zoneinfo caches each zone after its first load)."""
    return instant.wall.astimezone(ZoneInfo(timezone))
