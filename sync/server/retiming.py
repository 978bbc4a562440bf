"""When did an event really happen? Re-timing the events of a kiosk whose clock was not synced.

A Pi has no real-time clock: after a power cut its clock may say 1970 until the network is back,
and the kiosk then holds time at its last event (see kiosk.core.moments). What it always knows
is its boot id and a monotonic clock. So within one boot the server places an unsynced event by
the monotonic time between it and a reading it can trust: a synchronised event of the same boot
(``anchor``), else the moment the server received the push, whose sender reported its own
monotonic time (``received``). An event of an earlier boot with neither stays at the time the
kiosk held (``held``). Within one kiosk, times never go backwards in sequence order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CLOCK, ANCHOR, RECEIVED, HELD = "clock", "anchor", "received", "held"


@dataclass(frozen=True)
class Reading:
    """A trusted point in one boot: this wall time was this monotonic time."""

    wall: datetime
    mono: float


@dataclass(frozen=True)
class Moment:
    """What the server needs of one event to time it."""

    wall: datetime  # the time the kiosk used
    mono: float
    boot_id: str
    synced: bool


@dataclass(frozen=True)
class Timed:
    effective: datetime
    timing: str


def retime(
    moments: Sequence[Moment],
    *,
    anchors: Mapping[str, Reading],
    sender_boot: str,
    sender_mono: float,
    received_at: datetime,
    not_before: datetime | None = None,
) -> list[Timed]:
    """The effective time of each event of one kiosk, given in sequence order.

    ``anchors`` maps a boot id to its latest synchronised event already stored; synchronised
    events in ``moments`` anchor their own boot too. ``not_before`` is the effective time of the
    kiosk's event just before the first one.
    """
    known = dict(anchors)
    for m in moments:
        if m.synced:
            known[m.boot_id] = Reading(m.wall, m.mono)
    timed: list[Timed] = []
    floor = not_before
    for m in moments:
        if m.synced:
            result = Timed(m.wall, CLOCK)
        elif m.boot_id in known:
            anchor = known[m.boot_id]
            result = Timed(anchor.wall + timedelta(seconds=m.mono - anchor.mono), ANCHOR)
        elif m.boot_id == sender_boot and m.mono <= sender_mono:
            result = Timed(received_at - timedelta(seconds=sender_mono - m.mono), RECEIVED)
        else:
            result = Timed(m.wall, HELD)
        if floor is not None and result.effective < floor:
            result = Timed(floor, result.timing)
        floor = result.effective
        timed.append(result)
    return timed
