"""A kiosk's journals: the path its events follow, and how far the server holds them.

A kiosk numbers its events 1, 2, 3 ... When it finds the server holding other events under the
numbers it is using (restored from an older backup, or its SD card copied into another Pi), it
starts a new journal at the first such number (sync.protocol.JournalStart) and declares it with
every push and pull. The server keeps both histories, each event under its own journal; a
kiosk's *path* is the journal it says each sequence number belongs to. ``acked_through``
(the kiosk's events all on the server up to there), the gaps and the hash chain follow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from sync.protocol import JournalStart, SeqRange
from sync.server.review import Item, Kind
from sync.server.tables import events, kiosk_journals, kiosk_lost

GAP_WINDOW = 20_000  # events after the contiguous prefix looked at for gaps, per push


@dataclass(frozen=True)
class Path:
    """(journal number, first sequence number) of each journal, oldest first."""

    starts: tuple[tuple[int, int], ...] = ((0, 1),)

    @classmethod
    def of(cls, journals: Sequence[JournalStart]) -> Path:
        return cls(tuple((j.number, j.from_seq) for j in journals) or ((0, 1),))

    def journal(self, seq: int) -> int:
        found = self.starts[0][0]
        for number, first in self.starts:
            if first <= seq:
                found = number
        return found

    def holds(self, journal: int, seq: int) -> bool:
        return self.journal(seq) == journal

    def sql(self) -> Any:
        """Whether a row of ``events`` is on this path (for a query of one kiosk's events)."""
        c = events.c
        parts = []
        bounds = [first for _, first in self.starts[1:]] + [None]
        for (number, first), end in zip(self.starts, bounds, strict=True):
            part = [c.journal == number, c.seq >= first]
            if end is not None:
                part.append(c.seq < end)
            parts.append(and_(*part))
        return or_(*parts)


def declare(conn: Connection, kiosk: str, path: Path, now: datetime) -> list[tuple[int, int]]:
    """Record the journals the kiosk declares; those the server had not heard of before."""
    known = {
        (r.number, r.from_seq)
        for r in conn.execute(
            select(kiosk_journals.c.number, kiosk_journals.c.from_seq).where(
                kiosk_journals.c.kiosk == kiosk
            )
        )
    }
    numbers = {n for n, _ in known}
    new = [(n, f) for n, f in path.starts if n > 0 and n not in numbers]
    if new:
        conn.execute(
            kiosk_journals.insert(),
            [{"kiosk": kiosk, "number": n, "from_seq": f, "declared_at": now} for n, f in new],
        )
    return new


def highest(conn: Connection, kiosk: str) -> int:
    """The highest journal number the server holds of this kiosk (a new one must be above)."""
    declared = conn.execute(
        select(func.max(kiosk_journals.c.number)).where(kiosk_journals.c.kiosk == kiosk)
    ).scalar()
    stored = conn.execute(
        select(func.max(events.c.journal)).where(events.c.kiosk == kiosk)
    ).scalar()
    return max(int(declared or 0), int(stored or 0))


def advance(
    conn: Connection,
    kiosk: str,
    path: Path,
    acked: int,
    also_lost: Sequence[tuple[int, int]] = (),
) -> tuple[int, list[SeqRange]]:
    """The end of the kiosk's contiguous prefix along ``path`` from ``acked``, and the holes
    after it (at most GAP_WINDOW events looked at: behind a hole that is never filled this
    would otherwise read ever more rows). Events the kiosk said are lost count as there."""
    c = events.c
    lost = sorted({*lost_ranges(conn, kiosk), *also_lost})
    later = conn.execute(
        select(c.seq)
        .where(c.kiosk == kiosk, c.seq > acked, path.sql())
        .order_by(c.seq)
        .limit(GAP_WINDOW)
    ).scalars()
    gaps: list[SeqRange] = []
    acked = _past_lost(acked, lost)
    expected = acked + 1
    contiguous = True
    for seq in later:
        if seq < expected:
            continue  # inside a range the kiosk said is lost, and stored after all
        if seq != expected:
            holes = _not_lost(expected, seq - 1, lost)
            gaps += holes
            contiguous = contiguous and not holes
        expected = _past_lost(seq, lost) + 1
        if contiguous:
            acked = expected - 1
    return acked, gaps


def _past_lost(seq: int, lost: Sequence[tuple[int, int]]) -> int:
    """``seq``, or the end of the lost ranges that follow it without a break."""
    moved = True
    while moved:
        moved = False
        for first, last in lost:
            if first <= seq + 1 <= last:
                seq, moved = last, True
    return seq


def _not_lost(first: int, last: int, lost: Sequence[tuple[int, int]]) -> list[SeqRange]:
    """The parts of first..last that no lost range covers."""
    holes: list[SeqRange] = []
    at = first
    for a, b in lost:
        if b < at or a > last:
            continue
        if a > at:
            holes.append(SeqRange(first=at, last=a - 1))
        at = max(at, b + 1)
    if at <= last:
        holes.append(SeqRange(first=at, last=last))
    return holes


def lost_ranges(conn: Connection, kiosk: str) -> list[tuple[int, int]]:
    rows = conn.execute(
        select(kiosk_lost.c.first, kiosk_lost.c.last).where(kiosk_lost.c.kiosk == kiosk)
    )
    return [(int(a), int(b)) for a, b in rows]


def declare_lost(
    conn: Connection, kiosk: str, ranges: Sequence[SeqRange], now: datetime
) -> list[Item]:
    """Record the ranges the kiosk says are gone for good; an item for each new one."""
    known = set(lost_ranges(conn, kiosk))
    new = sorted({(r.first, r.last) for r in ranges} - known)
    if not new:
        return []
    conn.execute(
        kiosk_lost.insert(),
        [{"kiosk": kiosk, "first": a, "last": b, "declared_at": now} for a, b in new],
    )
    return [
        Item(
            Kind.EVENTS_LOST,
            f"{kiosk}:{a}-{b}",
            kiosk,
            a,
            detail={"first": a, "last": b},
        )
        for a, b in new
    ]


def fork_items(conn: Connection, kiosk: str, path: Path, new: list[tuple[int, int]]) -> list[Item]:
    """One review item per journal a kiosk began: what the server already held under those
    numbers (the other history), with the copies and cards of its loans and returns."""
    c = events.c
    items: list[Item] = []
    for number, first in new:
        other = and_(c.kiosk == kiosk, c.seq >= first, c.journal != number)
        held = conn.execute(select(func.min(c.seq), func.max(c.seq)).where(other)).one()
        moved = conn.execute(
            select(c.barcode, c.card)
            .where(other, c.type.in_(("checkout", "renewal", "return")))
            .order_by(c.seq)
            .limit(200)
        ).all()
        copies = sorted({r.barcode for r in moved if r.barcode})
        cards = sorted({r.card for r in moved if r.card})
        items.append(
            Item(
                Kind.JOURNAL_FORKED,
                f"{kiosk}:journal:{number}",
                kiosk,
                first,
                barcode=copies[0] if copies else None,
                card=cards[0] if cards else None,
                detail={
                    "journal": number,
                    "from_seq": first,
                    "previous_journal": path.journal(first - 1) if first > 1 else None,
                    "server_held": (
                        {"first": held[0], "last": held[1]} if held[0] is not None else None
                    ),
                    "copies": copies[:20],
                    "cards": cards[:20],
                },
            )
        )
    return items
