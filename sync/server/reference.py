"""The school's roster, catalogue and policy on the server, each change with a revision.

Files are read by the kiosk's own importers (kiosk.imports), so a file means the same thing and
gets the same error messages on the server as on a kiosk, and ISBN-only copies get the same
``ISBN#n`` identities. As on a kiosk, an import updates rows by key and never deletes: a reader
or copy missing from the file becomes inactive, and nobody does while any row is rejected.
Deleting (a tombstone kiosks pull) is a separate, deliberate act: :func:`delete_readers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from kiosk.core.models import Copy, Reader
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from sync.server import revisions
from sync.server.tables import copies, policy, readers


@dataclass(frozen=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


READER_COLUMNS = ("given_name", "role", "class_name", "grade", "active", "deleted")
COPY_COLUMNS = (
    "isbn",
    "title",
    "author",
    "category",
    "loan_type",
    "price",
    "isbn_only",
    "active",
    "deleted",
)


def reader_values(r: Reader) -> dict[str, Any]:
    return {
        "given_name": r.given_name,
        "role": r.role.value,
        "class_name": str(r.class_name) if r.class_name else None,
        "grade": r.grade,
        "active": r.active,
        "deleted": False,
    }


def copy_values(c: Copy) -> dict[str, Any]:
    return {
        "isbn": c.isbn,
        "title": c.title,
        "author": c.author,
        "category": c.category,
        "loan_type": c.loan_type.value,
        "price": str(c.price) if c.price is not None else None,
        "isbn_only": c.isbn_only,
        "active": c.active,
        "deleted": False,
    }


def import_readers(
    conn: Connection, items: Iterable[Reader], now: datetime, *, deactivate_missing: bool
) -> Counts:
    rows = {r.card: reader_values(r) for r in items}
    return _replace(conn, readers, readers.c.card, rows, now, deactivate_missing)


def import_copies(
    conn: Connection, items: Iterable[Copy], now: datetime, *, deactivate_missing: bool
) -> Counts:
    rows = {c.barcode: copy_values(c) for c in items}
    return _replace(conn, copies, copies.c.barcode, rows, now, deactivate_missing)


def _replace(
    conn: Connection,
    table: Table,
    key: Any,
    rows: Mapping[str, dict[str, Any]],
    now: datetime,
    deactivate_missing: bool,
) -> Counts:
    """Make ``table`` say what the file says, one new revision per row that changes."""
    revisions.lock(conn)
    columns = list(READER_COLUMNS if table is readers else COPY_COLUMNS)
    existing = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in conn.execute(select(key, *(table.c[c] for c in columns)))
    }
    added: list[tuple[str, dict[str, Any]]] = []
    changed: list[tuple[str, dict[str, Any]]] = []
    unchanged = 0
    for k, values in rows.items():
        before = existing.get(k)
        if before == values:
            unchanged += 1
        elif before is None:
            added.append((k, values))
        else:
            changed.append((k, values))
    gone = [
        (k, {**v, "active": False})
        for k, v in existing.items()
        if deactivate_missing and k not in rows and v["active"] and not v["deleted"]
    ]
    numbers = iter(revisions.take(conn, len(added) + len(changed) + len(gone)))
    if added:
        extra = {"added_at": now} if table is copies else {}
        conn.execute(
            table.insert(),
            [
                {key.name: k, **v, **extra, "revision": next(numbers), "updated_at": now}
                for k, v in added
            ],
        )
    for k, v in [*changed, *gone]:
        conn.execute(
            update(table).where(key == k).values(**v, revision=next(numbers), updated_at=now)
        )
    return Counts(len(added), len(changed), unchanged, len(gone))


def delete_readers(conn: Connection, cards: Iterable[str], now: datetime) -> int:
    """Forget these readers (a child who left): kiosks pull a tombstone and delete them too."""
    revisions.lock(conn)
    wanted = sorted(set(cards))
    present = list(
        conn.execute(
            select(readers.c.card).where(readers.c.card.in_(wanted), readers.c.deleted.is_(False))
        ).scalars()
    )
    for card, revision in zip(present, revisions.take(conn, len(present)), strict=True):
        conn.execute(
            update(readers)
            .where(readers.c.card == card)
            .values(
                given_name="",
                class_name=None,
                grade=None,
                active=False,
                deleted=True,
                revision=revision,
                updated_at=now,
            )
        )
    return len(present)


def save_policy(conn: Connection, source: str, now: datetime) -> Policy:
    """Replace the policy; PolicyError (naming each bad key) and nothing saved if it is wrong."""
    parsed = parse_policy(source)
    revisions.lock(conn)
    current = conn.execute(select(policy.c.source).where(policy.c.id == 1)).scalar()
    if current == source:
        return parsed
    (revision,) = revisions.take(conn, 1)
    if current is None:
        conn.execute(
            policy.insert().values(id=1, source=source, revision=revision, imported_at=now)
        )
    else:
        conn.execute(
            update(policy)
            .where(policy.c.id == 1)
            .values(source=source, revision=revision, imported_at=now)
        )
    return parsed
