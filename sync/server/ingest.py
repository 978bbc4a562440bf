"""A push from a kiosk: each event stored exactly once, its chain checked, the loans folded.

Nothing that happened at the door is refused: an event is only ``rejected`` when it cannot be
the kiosk's (its id or sequence number already belong to a different event); everything else
is stored, and what looks wrong becomes an item of the review inbox. A push is stored in one
transaction (or a savepoint of one shared by pushes that arrived together): the kiosk's row is
locked first (two pushes of one kiosk take turns), the revision counter before the loans are
folded (every kiosk's pushes fold in turn).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from kiosk.core.moments import ClockSource
from sync.protocol import (
    PROTOCOL_VERSION,
    ChainReport,
    EventResult,
    PushRequest,
    PushResponse,
    SeqRange,
    Status,
    WireEvent,
    hash_matches,
)
from sync.server import journals, loans, reservations, retiming, revisions
from sync.server.db import writing
from sync.server.ratelimit import RateLimit, RateLimited
from sync.server.review import Item, Kind, Resolution, clear, report
from sync.server.tables import UtcTime, events, kiosks, readers, review_items

log = logging.getLogger("kiosk_server")
# The events that change a copy's loan (sync.server.loans folds them).
_CIRCULATION = ("checkout", "renewal", "return")

# The statements of every push, built once and run with bound values: building a statement and
# its cache key costs SQLAlchemy more than running it (three times as much for a plain select,
# ten for one of subqueries), and a push runs some twenty. Those that depend on the kiosk's
# journals are built once for each path (almost every kiosk has the one path, journal 0).
_e, _k = events.c, kiosks.c
_ACKED = select(_k.acked_through).where(_k.name == bindparam("kiosk")).with_for_update()
_SEEN = (
    update(kiosks)
    .where(_k.name == bindparam("kiosk"))
    .values(acked_through=bindparam("acked"), last_seen_at=bindparam("seen"))
)
_AROUND = select(_e.number, _e.id, _e.kiosk, _e.seq, _e.journal, _e.hash, _e.prev_hash).where(
    _e.kiosk == bindparam("kiosk"), _e.seq.between(bindparam("low"), bindparam("high"))
)
_BY_ID = select(_e.number, _e.id, _e.kiosk, _e.seq, _e.journal, _e.hash).where(
    _e.id.in_(bindparam("ids", expanding=True))
)
# The new events go straight to the driver's executemany, in this order: SQLAlchemy's own
# handling of 24 values a row cost more than SQLite's insert (16 us of some 30 an event).
_COLUMNS = (
    "id", "kiosk", "seq", "format", "type", "reason", "session_id", "card", "barcode", "code",
    "due", "flags", "wall_time", "clock_time", "mono_time", "boot_id", "clock_synced",
    "prev_hash", "hash", "clock_source", "received_at", "effective_time", "timing", "journal",
)  # fmt: skip
_utc = UtcTime()
_HELD = select(
    _e.kiosk, _e.boot_id, _e.number, _e.mono_time, _e.barcode, _e.type, _e.received_at
).where(
    _e.kiosk.in_(bindparam("kiosks", expanding=True)),
    _e.boot_id.in_(bindparam("boots", expanding=True)),
    _e.timing.in_((retiming.HELD, retiming.BOUNDED)),
    _e.clock_source != ClockSource.OPERATOR.value,
)
_ANCHOR = (
    select(_e.wall_time, _e.mono_time)
    .where(_e.kiosk == bindparam("kiosk"), _e.boot_id == bindparam("boot"))
    .where(_e.timing == retiming.CLOCK)
    .order_by(_e.seq.desc())
    .limit(1)
)
_A_ROSTER = select(readers.c.card).limit(1)
_KNOWN_CARDS = select(readers.c.card).where(
    readers.c.card.in_(bindparam("cards", expanding=True)), readers.c.deleted.is_(False)
)


@dataclass(frozen=True)
class Push:
    """One push waiting to be stored, as the HTTP layer hands it over."""

    kiosk: str  # authenticated: the push's events name it
    request: PushRequest
    received_at: datetime


@dataclass
class _Stored:
    kiosk: str
    new: list[WireEvent]
    touched: set[str]


def push(
    engine: Engine, kiosk: str, request: PushRequest, now: datetime, limit: RateLimit | None = None
) -> PushResponse:
    """Store one push (RateLimited if ``limit`` says it is one too many)."""
    (outcome,) = store_together(engine, [Push(kiosk, request, now)], limit)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class PushFailed(Exception):  # noqa: N818 (a state: this push, and only it, failed)
    """Storing one push of a group failed; the others of its group were stored."""


def store_together(
    engine: Engine, pushes: Sequence[Push], limit: RateLimit | None = None
) -> list[PushResponse | RateLimited | PushFailed]:
    """Store several pushes in one transaction (one commit for all: see sync.server.queue).

    Each push is counted against ``limit`` in a savepoint of its own, then stored in another,
    so one over its limit, clashing or failing changes nothing of the others (and is counted
    all the same: a kiosk whose pushes fail cannot flood the server); then the loans of every
    copy they touched are folded once, under the revision lock.
    """
    outcomes: list[PushResponse | RateLimited | PushFailed] = []
    stored: list[_Stored] = []
    with writing(engine) as conn:
        for p in pushes:
            try:
                if limit is not None:
                    with conn.begin_nested():
                        limit.count(conn, p.kiosk, p.received_at)
                response, done = _store_one(conn, p)
            except RateLimited as exc:
                outcomes.append(exc)
                continue
            except Exception as exc:  # this push alone failed (logged): see PushFailed
                log.exception("push from kiosk %s failed; the others are stored", p.kiosk)
                outcomes.append(PushFailed(f"{type(exc).__name__}"))
                continue
            outcomes.append(response)
            stored.append(done)
        if any(s.new for s in stored):
            revisions.lock(conn)  # fold in turn with every other server process
            touched = _retime_held(conn, stored).union(*(s.touched for s in stored))
            latest = max(p.received_at for p in pushes)
            loans.refold(conn, touched, latest)
            reservations.take_in(conn, [e for s in stored for e in s.new], latest)
    return outcomes


def _store_one(conn: Connection, p: Push) -> tuple[PushResponse, _Stored]:
    try:
        with conn.begin_nested():
            return _store(conn, p, careful=False)
    except IntegrityError:
        # An event id that another kiosk's event already has (never by chance: UUID4s).
        # Once more, looking every id up, so that those are rejected and the rest stored.
        with conn.begin_nested():
            return _store(conn, p, careful=True)


def _store(conn: Connection, p: Push, careful: bool) -> tuple[PushResponse, _Stored]:
    """Everything of one push but the loans: its events, its answer, its review items."""
    kiosk, request, now = p.kiosk, p.request, p.received_at
    stored_acked = int(conn.execute(_ACKED, {"kiosk": kiosk}).scalar_one())
    path = journals.Path.of(request.journals)
    # Journal 0 alone (a kiosk that never forked) declares nothing: no query for it.
    began = journals.declare(conn, kiosk, path, now) if len(path.starts) > 1 else []
    if began:
        # What was refused or found unlinked before the kiosk began a journal there was judged
        # against the other history: judged again below, along the kiosk's path.
        _clear_judged(conn, kiosk, min(first for _, first in began), now)
    # A journal begun since the last push: the prefix is walked again from where it forks.
    acked = min([stored_acked, *(first - 1 for _, first in path.starts[1:])])
    gone = journals.declare_lost(conn, kiosk, request.lost, now) if request.lost else []
    results, new, moved_ids, around = _sort_out(conn, kiosk, request.events, careful)
    breaks: list[ChainReport] = []
    moved: set[str] = set()
    if new:
        moved = _insert(conn, kiosk, path, request, new, now)
    if new or moved_ids:
        moved_events = [e for e in request.events if e.id in set(moved_ids)]
        linked = sorted(new + moved_events, key=lambda e: e.seq)
        breaks = _check_chain(path, linked, _after_insert(around, new, moved_events))
    acked, gaps = journals.advance(conn, kiosk, path, acked)
    conn.execute(_SEEN, {"kiosk": kiosk, "acked": acked, "seen": now})
    items = [
        Item(Kind.CHAIN_BREAK, f"{kiosk}:{b.seq}", kiosk, b.seq, detail={"problem": b.problem})
        for b in breaks
    ]
    items += _reused(conn, kiosk, request.events, results)
    items += journals.fork_items(conn, kiosk, path, began)
    items += gone
    items += _gap_items(kiosk, gaps)
    items += _unknown_cards(conn, kiosk, new)
    items += [
        Item(Kind.DAMAGE_REPORTED, e.id, kiosk, e.seq, e.id, e.barcode, e.card)
        for e in new
        if e.type.value == "damage_report"
    ]
    items += _unknown_codes(kiosk, new)
    report(conn, items, now)
    clear(
        conn, [Kind.SEQUENCE_GAP], "kiosk", [kiosk], {i.key for i in _gap_items(kiosk, gaps)}, now
    )
    touched = {e.barcode for e in new if e.barcode and e.type.value in _CIRCULATION} | moved
    response = PushResponse(
        protocol=PROTOCOL_VERSION,
        results=results,
        acked_through=acked,
        gaps=gaps,
        chain_breaks=breaks,
        journals_held=journals.highest(conn, kiosk),
    )
    return response, _Stored(kiosk, new, touched)


@dataclass(frozen=True)
class _Link:
    """What the chain check needs of one of the kiosk's stored events."""

    seq: int
    journal: int
    hash: str
    prev_hash: str


def _sort_out(
    conn: Connection, kiosk: str, batch: Sequence[WireEvent], careful: bool
) -> tuple[list[EventResult], list[WireEvent], list[str], dict[str, _Link]]:
    """Each event's answer, the events the server has never had, the ids of events it had
    under another of the kiosk's journals (moved to the one the kiosk now says), and the
    kiosk's stored events from one before the batch to one after it (for the chain check).

    Only the kiosk's own range of sequence numbers is looked at (an index range), unless
    ``careful``: then every id too, wherever it is (the slow path, after a clash).
    """
    c = events.c
    if not batch:
        return [], [], [], {}
    # One range of the kiosk's sequence numbers (an index range), not a list of 500 values;
    # one wider on each side, for the chain check (one query, not two).
    low, high = min(e.seq for e in batch), max(e.seq for e in batch)
    rows = conn.execute(_AROUND, {"kiosk": kiosk, "low": low - 1, "high": high + 1})
    around: dict[str, _Link] = {}
    stored = []
    for r in rows:
        around[r.id] = _Link(r.seq, r.journal, r.hash, r.prev_hash)
        if low <= r.seq <= high:
            stored.append(r)
    wanted = {e.id for e in batch}
    by_id = {r.id: r for r in stored if r.id in wanted}
    if careful:
        by_id.update({r.id: r for r in conn.execute(_BY_ID, {"ids": sorted(wanted)})})
    by_seq = {(r.journal, r.seq): r for r in stored}
    results: list[EventResult] = []
    new: list[WireEvent] = []
    moved: list[str] = []
    taken_ids: dict[str, WireEvent] = {}
    taken_seqs: set[tuple[int, int]] = set()
    for e in batch:
        old = by_id.get(e.id)
        twin = taken_ids.get(e.id)
        if old is not None:
            same = old.kiosk == kiosk and old.seq == e.seq and old.hash == e.hash
            status, reason = (Status.DUPLICATE, None) if same else (Status.REJECTED, "id_taken")
            if same and old.journal != e.journal:
                # Stored before the kiosk found its history forked: the same event, now under
                # the journal the kiosk says (nothing of the other history is at that number).
                if (e.journal, e.seq) in by_seq or (e.journal, e.seq) in taken_seqs:
                    status, reason = Status.REJECTED, "seq_taken"
                else:
                    conn.execute(
                        update(events).where(c.number == old.number).values(journal=e.journal)
                    )
                    moved.append(e.id)
                    taken_seqs.add((e.journal, e.seq))
        elif twin is not None:
            status, reason = (
                (Status.DUPLICATE, None) if twin == e else (Status.REJECTED, "id_taken")
            )
        elif (e.journal, e.seq) in by_seq or (e.journal, e.seq) in taken_seqs:
            status, reason = Status.REJECTED, "seq_taken"
        else:
            status, reason = Status.ACCEPTED, None
            new.append(e)
            taken_ids[e.id] = e
            taken_seqs.add((e.journal, e.seq))
        results.append(EventResult(id=e.id, seq=e.seq, status=status, reason=reason))
    new.sort(key=lambda e: e.seq)
    return results, new, moved, around


def _reused(
    conn: Connection, kiosk: str, batch: Sequence[WireEvent], results: list[EventResult]
) -> list[Item]:
    """One item per event refused because another has its number or id, naming both events'
    copies and cards (the kiosk begins a new journal for it: see sync.server.journals)."""
    c = events.c
    refused = {r.id: r for r in results if r.status is Status.REJECTED}
    items: list[Item] = []
    for e in batch:
        r = refused.get(e.id)
        if r is None:
            continue
        held = conn.execute(
            select(c.id, c.type, c.barcode, c.card).where(
                or_(c.id == e.id, and_(c.kiosk == kiosk, c.journal == e.journal, c.seq == e.seq))
            )
        ).first()
        items.append(
            Item(
                Kind.SEQUENCE_REUSED,
                f"{kiosk}:{r.seq}:{r.id}",
                kiosk,
                r.seq,
                r.id,
                e.barcode,
                e.card,
                detail={
                    "reason": r.reason,
                    "journal": e.journal,
                    "type": e.type.value,
                    "held": None if held is None else dict(held._mapping),
                },
            )
        )
    return items


def _clear_judged(conn: Connection, kiosk: str, first: int, now: datetime) -> None:
    r = review_items.c
    conn.execute(
        update(review_items)
        .where(
            r.kind.in_((Kind.SEQUENCE_REUSED.value, Kind.CHAIN_BREAK.value)),
            r.kiosk == kiosk,
            r.seq >= first,
            r.resolved_at.is_(None),
        )
        .values(resolved_at=now, resolved_by="server", resolution=Resolution.CLEARED.value)
    )


def _insert(
    conn: Connection,
    kiosk: str,
    path: journals.Path,
    request: PushRequest,
    new: list[WireEvent],
    now: datetime,
) -> set[str]:
    """Store the new events, re-timed; the copies whose stored events were moved to fit."""
    moments = [
        retiming.Moment(
            datetime.fromisoformat(e.wall_time),
            e.mono_time,
            e.boot_id,
            e.clock_synced,
            operator=e.clock_source is ClockSource.OPERATOR,
        )
        for e in new
    ]
    timed = retiming.retime(
        moments,
        anchors=_anchors(conn, kiosk, {m.boot_id for m in moments if not m.synced}),
        sender_boot=request.sent.boot_id,
        sender_mono=request.sent.mono,
        received_at=now,
        bounds=_bounds(conn, kiosk, path, new[0].seq, new[-1].seq),
    )
    received = _utc.process_bind_param(now, conn.dialect)
    rows = [
        (
            e.id, kiosk, e.seq, e.format, e.type.value, e.reason.value, e.session_id, e.card,
            e.barcode, e.code, e.due, ",".join(f.value for f in e.flags), e.wall_time,
            e.clock_time, e.mono_time, e.boot_id, e.clock_synced, e.prev_hash, e.hash,
            e.clock_source.value, received, _utc.process_bind_param(t.effective, conn.dialect),
            t.timing, e.journal,
        )
        for e, t in zip(new, timed, strict=True)
    ]  # fmt: skip
    conn.exec_driver_sql(_insert_sql(conn.dialect.paramstyle), rows)
    placed = [(e.seq, t) for e, t in zip(new, timed, strict=True)]
    return _fit_neighbours(conn, kiosk, path, placed)


def _bounds(
    conn: Connection, kiosk: str, path: journals.Path, first: int, last: int
) -> retiming.Bounds:
    """Where the kiosk's stored events (on its path) put the events ``first``..``last``."""
    values = {"kiosk": kiosk, "first": first, "last": last}
    after, follows, before = conn.execute(_bounds_statement(path), values).one()
    return retiming.Bounds(after=after, follows=follows, before=before)


@functools.cache
def _insert_sql(paramstyle: str) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"  # SQLite's driver, or psycopg's
    marks = ", ".join([mark] * len(_COLUMNS))
    return f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({marks})"  # noqa: S608 (names)


def _bound(name: str) -> BindParameter[Any]:
    """A value given when the statement runs (its type comes from what it is compared with)."""
    return bindparam(name)


@functools.lru_cache(maxsize=64)
def _bounds_statement(path: journals.Path) -> Select[Any]:
    """The three bounds in one statement: one round trip, not three."""
    c = events.c
    kiosk, first, last = _bound("kiosk"), _bound("first"), _bound("last")
    before_first = select(c.effective_time).where(c.kiosk == kiosk, c.seq < first, path.sql())
    after_last = select(c.effective_time).where(
        c.kiosk == kiosk, c.seq > last, c.timing.in_(retiming.TRUSTED), path.sql()
    )
    return select(
        before_first.where(c.timing.in_(retiming.TRUSTED))
        .order_by(c.seq.desc())
        .limit(1)
        .scalar_subquery(),
        before_first.order_by(c.seq.desc()).limit(1).scalar_subquery(),
        after_last.order_by(c.seq).limit(1).scalar_subquery(),
    )


def _fit_neighbours(
    conn: Connection, kiosk: str, path: journals.Path, placed: list[tuple[int, retiming.Timed]]
) -> set[str]:
    """Move the kiosk's stored untrusted events that no longer fit beside the trustworthy
    events just placed: one before such an event happened no later than it, one after it no
    earlier (the kiosk's sequence is the true order). The copies whose events moved."""
    trusted = [(seq, t.effective) for seq, t in placed if t.trusted]
    if not trusted:
        return set()
    low, high = placed[0][0], placed[-1][0]
    last_seq, last_time = trusted[-1]
    # Stored events among the ones placed exist only when a push fills a gap; else one range.
    inside, later_trusted = conn.execute(
        _neighbours_statement(path),
        {"kiosk": kiosk, "low": low, "high": high, "last": last_seq},
    ).one()
    # (after seq, before seq, moved to): each range of the kiosk's sequence where untrusted
    # events are moved, those before a trustworthy event placed here and those after the last.
    limits: list[tuple[int | None, int | None, datetime]] = []
    previous: int | None = None
    for seq, effective in trusted if inside else trusted[:1]:
        limits.append((previous, seq, effective))
        previous = seq
    limits.append((max(last_seq, high), later_trusted, last_time))
    shape = tuple((after is not None, before is not None) for after, before, _ in limits)
    values: dict[str, Any] = {"kiosk": kiosk}
    for n, (after, before, to) in enumerate(limits):
        values |= {f"after{n}": after, f"before{n}": before, f"to{n}": to}
    rows = conn.execute(_untrusted_statement(path, shape), values).all()
    moved: set[str] = set()
    for after, before, to in limits:
        inside_range = [
            r
            for r in rows
            if (after is None or r.seq > after) and (before is None or r.seq < before)
        ]
        moved |= _move(conn, inside_range, to)
    return moved


@functools.lru_cache(maxsize=64)
def _neighbours_statement(path: journals.Path) -> Select[Any]:
    """The kiosk's untrusted events among those placed, and its first trustworthy one after
    them, in one statement (moving untrusted events changes neither)."""
    c = events.c
    kiosk = _bound("kiosk")
    return select(
        select(func.count())
        .where(c.kiosk == kiosk, c.timing.in_(retiming.UNTRUSTED), path.sql())
        .where(c.seq > bindparam("low"), c.seq < bindparam("high"))
        .scalar_subquery(),
        select(func.min(c.seq))
        .where(c.kiosk == kiosk, c.seq > bindparam("last"), c.timing.in_(retiming.TRUSTED))
        .where(path.sql())
        .scalar_subquery(),
    )


@functools.lru_cache(maxsize=256)
def _untrusted_statement(path: journals.Path, shape: tuple[tuple[bool, bool], ...]) -> Select[Any]:
    """The kiosk's untrusted events that do not fit in each range of ``shape`` (whether it has
    a first and a last sequence number); the last range is the one after the events placed.
    The ranges do not overlap: one query finds the events of every one of them."""
    c = events.c
    ranges = []
    for n, (has_after, has_before) in enumerate(shape):
        after, before, to = _bound(f"after{n}"), _bound(f"before{n}"), _bound(f"to{n}")
        last = n == len(shape) - 1
        where = [c.effective_time < to if last else c.effective_time > to]
        if has_after:
            where.append(c.seq > after)
        if has_before:
            where.append(c.seq < before)
        ranges.append(and_(*where))
    return select(c.number, c.seq, c.barcode, c.type).where(
        c.kiosk == bindparam("kiosk"), c.timing.in_(retiming.UNTRUSTED), path.sql(), or_(*ranges)
    )


def _move(conn: Connection, rows: Sequence[Any], to: datetime) -> set[str]:
    c = events.c
    if not rows:
        return set()
    conn.execute(
        update(events)
        .where(c.number.in_([r.number for r in rows]))
        .values(effective_time=to, timing=retiming.BOUNDED)
    )
    return {r.barcode for r in rows if r.barcode and r.type in _CIRCULATION}


def _anchors(conn: Connection, kiosk: str, boots: set[str]) -> dict[str, retiming.Reading]:
    """The latest synchronised event already stored of each of these boots."""
    found: dict[str, retiming.Reading] = {}
    for boot in sorted(boots):
        row = conn.execute(_ANCHOR, {"kiosk": kiosk, "boot": boot}).first()
        if row is not None:
            found[boot] = retiming.Reading(datetime.fromisoformat(row.wall_time), row.mono_time)
    return found


def _retime_held(conn: Connection, stored: list[_Stored]) -> set[str]:
    """Events stored with a held time whose boot now has a synchronised event: place them by
    it. Returns the copies whose loans must be folded again.

    The held events of every kiosk and boot of the group are read in one query. Placing those
    of one boot changes no other boot's, and a boot met again (two pushes of one kiosk) has
    nothing more to place: the same anchor leaves the same events untrustworthy.
    """
    c = events.c
    pairs: list[tuple[str, str]] = []
    for s in stored:
        for boot in sorted({e.boot_id for e in s.new if e.clock_synced}):
            if (s.kiosk, boot) not in pairs:
                pairs.append((s.kiosk, boot))
    if not pairs:
        return set()
    values = {"kiosks": sorted({k for k, _ in pairs}), "boots": sorted({b for _, b in pairs})}
    held: dict[tuple[str, str], list[Any]] = {}
    for row in conn.execute(_HELD, values):
        held.setdefault((row.kiosk, row.boot_id), []).append(row)
    touched: set[str] = set()
    for kiosk, boot in pairs:
        rows = held.get((kiosk, boot))
        # Usually nothing is held: then the anchor (a sort of the boot's events) is not read.
        anchor = _anchors(conn, kiosk, {boot}).get(boot) if rows else None
        if anchor is None:
            continue
        for row in rows or ():
            moment = retiming.Moment(anchor.wall, row.mono_time, boot, False)
            (timed,) = retiming.retime(
                [moment],
                anchors={boot: anchor},
                sender_boot="",
                sender_mono=0.0,
                received_at=row.received_at,
            )
            if not timed.trusted:
                continue  # the anchor would put it after it reached the server: no help
            conn.execute(
                update(events)
                .where(c.number == row.number)
                .values(effective_time=timed.effective, timing=timed.timing)
            )
            if row.barcode and row.type in _CIRCULATION:
                touched.add(row.barcode)
    return touched


def _after_insert(
    around: dict[str, _Link], new: list[WireEvent], moved: list[WireEvent]
) -> list[_Link]:
    """The kiosk's events around the batch as they are once it is stored: the ones read before,
    those moved to another journal, and the new ones."""
    now = dict(around)
    for e in moved:
        was = now.get(e.id, _Link(e.seq, e.journal, e.hash, e.prev_hash))
        now[e.id] = _Link(was.seq, e.journal, was.hash, was.prev_hash)
    for e in new:
        now[e.id] = _Link(e.seq, e.journal, e.hash, e.prev_hash)
    return list(now.values())


def _check_chain(
    path: journals.Path, new: list[WireEvent], stored: list[_Link]
) -> list[ChainReport]:
    """Each place where a new event does not link to its stored neighbours on the kiosk's
    path, or to itself (``stored``: the kiosk's events around them, these included)."""
    if not new:
        return []
    low, high = min(e.seq for e in new) - 1, max(e.seq for e in new) + 1
    around = {r.seq: r for r in stored if low <= r.seq <= high and path.holds(r.journal, r.seq)}
    breaks: list[ChainReport] = []
    for e in new:
        if not hash_matches(e):
            breaks.append(ChainReport(seq=e.seq, problem="event content does not match its hash"))
        prev = around.get(e.seq - 1)
        if prev is not None and prev.hash != e.prev_hash:
            breaks.append(ChainReport(seq=e.seq, problem="previous-event hash does not match"))
        nxt = around.get(e.seq + 1)
        if nxt is not None and nxt.prev_hash != e.hash:
            breaks.append(ChainReport(seq=e.seq + 1, problem="previous-event hash does not match"))
    unique = {(b.seq, b.problem): b for b in breaks}
    return sorted(unique.values(), key=lambda b: b.seq)


def _gap_items(kiosk: str, gaps: list[SeqRange]) -> list[Item]:
    return [
        Item(
            Kind.SEQUENCE_GAP,
            f"{kiosk}:{g.first}-{g.last}",
            kiosk,
            g.first,
            detail={"first": g.first, "last": g.last},
        )
        for g in gaps
    ]


def _unknown_cards(conn: Connection, kiosk: str, new: list[WireEvent]) -> list[Item]:
    """Checkouts by a card the roster does not have (only once the server has a roster)."""
    cards = {e.card for e in new if e.type.value == "checkout" and e.card}
    if not cards:
        return []
    known = set(conn.execute(_KNOWN_CARDS, {"cards": sorted(cards)}).scalars())
    if known == cards or conn.execute(_A_ROSTER).first() is None:
        return []  # every card known (one query, the usual case), or no roster yet
    return [
        Item(Kind.UNKNOWN_CARD, e.id, kiosk, e.seq, e.id, e.barcode, e.card)
        for e in new
        if e.type.value == "checkout" and e.card and e.card not in known
    ]


_UNKNOWN = ("unknown_code", "unknown_copy", "unknown_reader")


def _unknown_codes(kiosk: str, new: list[WireEvent]) -> list[Item]:
    """Refusals of a code nobody knows: one item per code, however often it was scanned."""
    found: dict[str, Item] = {}
    for e in new:
        if e.type.value == "refusal" and e.reason.value in _UNKNOWN and e.code:
            key = f"{e.reason.value}:{e.code[:150]}"  # review_items.key holds 200
            found.setdefault(
                key,
                Item(
                    Kind.UNKNOWN_CODE,
                    key,
                    kiosk,
                    e.seq,
                    e.id,
                    detail={"reason": e.reason.value, "code": e.code},
                ),
            )
    return list(found.values())
