"""When did an event really happen? Placing each event of a kiosk on the server's time line.

A Pi has no real-time clock: after a power cut its clock may say 1970, or five weeks ahead from
a module with a dead battery, until the network is back; an operator may type a time (`kiosk
scan --at`). What a kiosk always knows is its boot id, a monotonic clock, and the order of its
own events (the sequence). So an event's time is *trustworthy* when it comes from a synchronised
system clock (``clock``), or is placed by the monotonic time from a trustworthy reading of the
same boot: a synchronised event (``anchor``), or the moment the server received the push whose
sender reported its own monotonic time (``received``).

Any other time (an unsynchronised clock with nothing to place it by, an operator's, or one that
claims to be after the server received it) is *untrusted*: it is kept as the kiosk stamped it
(``held``, ``operator``) only while it fits between its trustworthy neighbours, and otherwise
moved to the nearest moment that fits (``bounded``): never after the next trustworthy event of
its kiosk, never after the server received it, never before the event it follows. A clock that
was wrong for a while so shifts only the events it stamped, and the librarian sees which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CLOCK, ANCHOR, RECEIVED = "clock", "anchor", "received"
HELD, OPERATOR, BOUNDED = "held", "operator", "bounded"
TRUSTED = (CLOCK, ANCHOR, RECEIVED)
UNTRUSTED = (HELD, OPERATOR, BOUNDED)
# A synchronised kiosk and the server may disagree by this much (both keep NTP time).
SKEW = timedelta(minutes=5)


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
    operator: bool = False  # a time a person typed: it says nothing of the kiosk's clocks


@dataclass(frozen=True)
class Timed:
    effective: datetime
    timing: str

    @property
    def trusted(self) -> bool:
        return self.timing in TRUSTED


@dataclass(frozen=True)
class Bounds:
    """What the kiosk's stored events say about the events being placed (all optional).

    ``after``: the effective time of the kiosk's latest trustworthy event before them;
    ``follows``: that of its latest event of any kind before them;
    ``before``: that of its earliest trustworthy event after them (a push that filled a gap).
    """

    after: datetime | None = None
    follows: datetime | None = None
    before: datetime | None = None


def retime(
    moments: Sequence[Moment],
    *,
    anchors: Mapping[str, Reading],
    sender_boot: str,
    sender_mono: float,
    received_at: datetime,
    bounds: Bounds | None = None,
) -> list[Timed]:
    """The effective time of each event of one kiosk, given in sequence order.

    ``anchors`` maps a boot id to its latest synchronised event already stored; synchronised
    events in ``moments`` anchor their own boot too.
    """
    bounds = bounds or Bounds()
    known = dict(anchors)
    for m in moments:
        if m.synced and not m.operator and m.wall <= received_at + SKEW:
            known[m.boot_id] = Reading(m.wall, m.mono)
    claimed = [_claim(m, known, sender_boot, sender_mono, received_at) for m in moments]
    # Trustworthy times never go backwards in sequence order (a clock NTP stepped back a
    # little): each is at least the one before it.
    floor = bounds.after
    trusted: list[Timed | None] = []
    for claim in claimed:
        if claim.trusted:
            if floor is not None and claim.effective < floor:
                claim = Timed(floor, claim.timing)
            floor = claim.effective
            trusted.append(claim)
        else:
            trusted.append(None)
    # The others fit between the trustworthy ones around them.
    ceiling = bounds.before
    limits: list[datetime | None] = []
    for known_time in reversed(trusted):
        limits.append(ceiling)
        if known_time is not None:
            ceiling = known_time.effective
    limits.reverse()
    timed: list[Timed] = []
    # An untrusted stored event placed after the first trustworthy one here is lowered by the
    # caller (it happened before it): then it is no floor for these.
    first = next((t.effective for t in trusted if t is not None), bounds.before)
    floor = bounds.follows
    if floor is None or (first is not None and floor > first) or floor > received_at:
        floor = bounds.after
    for t, known_time, ceiling in zip(claimed, trusted, limits, strict=True):
        settled = known_time or _fit(t, floor, min(received_at, ceiling or received_at))
        floor = settled.effective
        timed.append(settled)
    return timed


def _claim(
    m: Moment,
    known: Mapping[str, Reading],
    sender_boot: str,
    sender_mono: float,
    received_at: datetime,
) -> Timed:
    """The time the event's own data supports, and how far it can be trusted."""
    if m.operator:
        return Timed(m.wall, OPERATOR)
    if m.synced:
        found = Timed(m.wall, CLOCK)
    elif m.boot_id in known:
        anchor = known[m.boot_id]
        found = Timed(anchor.wall + timedelta(seconds=m.mono - anchor.mono), ANCHOR)
    elif m.boot_id == sender_boot and m.mono <= sender_mono:
        found = Timed(received_at - timedelta(seconds=sender_mono - m.mono), RECEIVED)
    else:
        return Timed(m.wall, HELD)
    if found.effective > received_at + SKEW:
        # Nothing happens after the server heard of it: a forged time, or a clock read wrong.
        return Timed(found.effective, BOUNDED)
    return found


def _fit(t: Timed, floor: datetime | None, ceiling: datetime) -> Timed:
    """An untrusted time, moved (``bounded``) if it falls outside [floor, ceiling]."""
    if floor is not None and ceiling < floor:
        ceiling = floor  # a trustworthy neighbour a few minutes off: order first
    if t.effective > ceiling:
        return Timed(ceiling, BOUNDED)
    if floor is not None and t.effective < floor:
        return Timed(floor, BOUNDED)
    return t
