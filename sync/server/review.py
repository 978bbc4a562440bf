"""The librarian's review inbox: what the server would not guess about, one item per problem.

Items are keyed (``kind``, ``key``) so that a problem reported twice (a batch sent again, a loan
folded again) stays one item. Items the server derives from the events (a copy lent twice, a
return of a copy on the shelf, a gap) are cleared by the server itself when later events show
there was no problem after all (``resolution = "cleared"``, ``resolved_by = "server"``); the
librarian resolves the rest (issue 9's pages use :func:`resolve`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.tables import review_items


class Kind(enum.StrEnum):
    LENT_TWICE = "lent_twice"  # two kiosks lent one copy while offline
    RETURN_NOT_ON_LOAN = "return_not_on_loan"  # a return of a copy the server had on the shelf
    UNKNOWN_CARD = "unknown_card"  # a checkout by a card the server's roster does not have
    CHAIN_BREAK = "chain_break"  # an event whose hash chain does not hold
    SEQUENCE_GAP = "sequence_gap"  # events of a kiosk the server never received
    SEQUENCE_REUSED = "sequence_reused"  # a different event with a sequence number already used
    JOURNAL_FORKED = "journal_forked"  # a kiosk went on from an older copy of its file
    EVENTS_LOST = "events_lost"  # gone from the kiosk (retention) and from a restored server
    INBOX_FULL = "inbox_full"  # a kiosk reported more of one kind than the inbox keeps open
    DAMAGE_REPORTED = "damage_reported"  # a child pressed "this book is damaged"
    UNKNOWN_CODE = "unknown_code"  # a card or book the kiosk did not know (one item per code)
    # A copy held for a reservation lent to someone else by a door that had not heard of it.
    RESERVED_COPY_LENT = "reserved_copy_lent"
    # Two doors readied one reservation with two copies: the second goes back to the shelf.
    RESERVATION_READIED_TWICE = "reservation_readied_twice"
    # A copy a stocktake saw on the shelf while the server had it on loan (a return never scanned).
    STOCKTAKE_SEEN_ON_LOAN = "stocktake_seen_on_loan"


class Resolution(enum.StrEnum):
    CLEARED = "cleared"  # later events showed there was nothing wrong
    FIXED = "fixed"  # the librarian put it right
    ACCEPTED = "accepted"  # the librarian looked and left it as it is
    SENT_FOR_REPAIR = "sent_for_repair"  # a damage report: the copy went to the repair register


@dataclass(frozen=True)
class Item:
    kind: Kind
    key: str
    kiosk: str | None = None
    seq: int | None = None
    event_id: str | None = None
    barcode: str | None = None
    card: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Open items of one kind from one kiosk kept in the inbox. A kiosk gone wrong, or a stolen token,
# could otherwise fill it with thousands (one per unknown code); past this, one ``inbox_full``
# item counts what was left out (every event is still in the event log).
MAX_OPEN_PER_KIOSK = 200


def report(conn: Connection, items: Iterable[Item], now: datetime) -> None:
    """Add each item unless it is already in the inbox (an item the server cleared reopens)."""
    items = _within_bounds(conn, list(items), now)
    rows = [
        {
            "kind": i.kind.value,
            "key": i.key,
            "kiosk": i.kiosk,
            "seq": i.seq,
            "event_id": i.event_id,
            "barcode": i.barcode,
            "card": i.card,
            "detail": json.dumps(i.detail, ensure_ascii=False, sort_keys=True),
            "created_at": now,
        }
        for i in items
    ]
    if not rows:
        return
    dialect = conn.dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(review_items)
    reopened = insert.on_conflict_do_update(
        index_elements=["kind", "key"],
        set_={"resolved_at": None, "resolved_by": None, "resolution": None},
        where=review_items.c.resolved_by == "server",
    )
    conn.execute(reopened, rows)


def _within_bounds(conn: Connection, items: list[Item], now: datetime) -> list[Item]:
    """The items that fit under MAX_OPEN_PER_KIOSK, and for each kiosk and kind that did not
    fit an ``inbox_full`` item counting those left out (items already open always fit)."""
    r = review_items.c
    groups = {(i.kiosk, i.kind) for i in items if i.kiosk is not None}
    if not groups:
        return items
    kiosks = sorted({k for k, _ in groups if k is not None})
    rows = conn.execute(
        select(r.kiosk, r.kind, func.count())
        .where(r.kiosk.in_(kiosks), r.resolved_at.is_(None), r.kind != Kind.INBOX_FULL.value)
        .group_by(r.kiosk, r.kind)
    ).all()
    room = {(k, Kind(kind)): MAX_OPEN_PER_KIOSK - int(n) for k, kind, n in rows if kind in _KINDS}
    keys = {i.key for i in items}
    already = {
        (row.kind, row.key)
        for row in conn.execute(
            select(r.kind, r.key).where(r.key.in_(sorted(keys)), r.resolved_at.is_(None))
        )
    }
    kept: list[Item] = []
    left_out: dict[tuple[str, Kind], int] = {}
    for i in items:
        if i.kiosk is None or i.kind is Kind.INBOX_FULL or (i.kind.value, i.key) in already:
            kept.append(i)
            continue
        free = room.get((i.kiosk, i.kind), MAX_OPEN_PER_KIOSK)
        if free > 0:
            room[(i.kiosk, i.kind)] = free - 1
            kept.append(i)
        else:
            left_out[(i.kiosk, i.kind)] = left_out.get((i.kiosk, i.kind), 0) + 1
    for (kiosk, kind), count in left_out.items():
        kept.append(_full(conn, kiosk, kind, count))
    return kept


_KINDS = {k.value for k in Kind}


def _full(conn: Connection, kiosk: str, kind: Kind, count: int) -> Item:
    key = f"{kiosk}:{kind.value}"
    before = conn.execute(
        select(review_items.c.detail).where(
            review_items.c.kind == Kind.INBOX_FULL.value,
            review_items.c.key == key,
            review_items.c.resolved_at.is_(None),
        )
    ).scalar()
    counted = 0
    if before:
        try:
            counted = int(json.loads(before).get("left_out", 0))
        except (ValueError, AttributeError, TypeError):
            counted = 0
    detail = {"kind": kind.value, "left_out": counted + count, "open": MAX_OPEN_PER_KIOSK}
    conn.execute(
        update(review_items)
        .where(review_items.c.kind == Kind.INBOX_FULL.value, review_items.c.key == key)
        .values(detail=json.dumps(detail, sort_keys=True))
    )
    return Item(Kind.INBOX_FULL, key, kiosk, detail=detail)


def clear(
    conn: Connection,
    kinds: Iterable[Kind],
    column: str,
    values: Iterable[str],
    keep: set[str],
    now: datetime,
) -> None:
    """Clear the server's open items of ``kinds`` whose ``column`` is one of ``values`` and
    whose key is not in ``keep``: later events explained them."""
    wanted = sorted(set(values))
    if not wanted:
        return
    open_items = conn.execute(
        select(review_items.c.id, review_items.c.key).where(
            and_(
                review_items.c.kind.in_([k.value for k in kinds]),
                review_items.c[column].in_(wanted),
                review_items.c.resolved_at.is_(None),
            )
        )
    ).all()
    stale = [row.id for row in open_items if row.key not in keep]
    if stale:
        conn.execute(
            update(review_items)
            .where(review_items.c.id.in_(stale))
            .values(resolved_at=now, resolved_by="server", resolution=Resolution.CLEARED.value)
        )


def open_items(
    conn: Connection,
    kind: Kind | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The items nobody has resolved yet, oldest first (``limit`` of them from ``offset``)."""
    query = select(review_items).where(review_items.c.resolved_at.is_(None))
    if kind is not None:
        query = query.where(review_items.c.kind == kind.value)
    query = query.order_by(review_items.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def count_open(conn: Connection) -> int:
    return int(
        conn.execute(select(func.count()).where(review_items.c.resolved_at.is_(None))).scalar_one()
    )


def resolve(
    conn: Connection,
    item_id: int,
    resolution: Resolution,
    by: str,
    now: datetime,
    note: str | None = None,
) -> bool:
    """The librarian's decision on one item; False if there is no such open item."""
    result = conn.execute(
        update(review_items)
        .where(review_items.c.id == item_id, review_items.c.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=by, resolution=resolution.value, note=note)
    )
    return result.rowcount == 1
