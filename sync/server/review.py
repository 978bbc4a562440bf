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

from sqlalchemy import Connection, and_, select, update
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
    DAMAGE_REPORTED = "damage_reported"  # a child pressed "this book is damaged"
    UNKNOWN_CODE = "unknown_code"  # a card or book the kiosk did not know (one item per code)


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


def report(conn: Connection, items: Iterable[Item], now: datetime) -> None:
    """Add each item unless it is already in the inbox (an item the server cleared reopens)."""
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


def open_items(conn: Connection, kind: Kind | None = None) -> list[dict[str, Any]]:
    """The items nobody has resolved yet, oldest first."""
    query = select(review_items).where(review_items.c.resolved_at.is_(None))
    if kind is not None:
        query = query.where(review_items.c.kind == kind.value)
    return [dict(row._mapping) for row in conn.execute(query.order_by(review_items.c.id))]


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
