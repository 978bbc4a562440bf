"""The school's roster, catalogue and policy on the server, each change with a revision.

Files are read by the kiosk's own importers (kiosk.imports), so a file means the same thing and
gets the same error messages on the server as on a kiosk, and ISBN-only copies get the same
``ISBN#n`` identities. An import applies the kiosk's own plan (kiosk.core.import_plan): rows are
updated by key and never deleted; a reader or copy missing from the file becomes inactive, and
nobody does while any row is rejected; a row whose code is one of the other kind's is left out;
and a file that lost its leading zeros in Excel or would make many inactive is refused whole
unless the librarian insists. This is where a paired school imports: every kiosk pulls the result.
Deleting (a tombstone kiosks pull) is a separate, deliberate act: :func:`delete_readers`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from kiosk.core.import_plan import Clash, Held, ImportMode, ImportPlan, Kind, Owner, plan_import
from kiosk.core.import_words import Place, command_line_refusal
from kiosk.core.models import Copy, Reader
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from sync.server import relabels, revisions
from sync.server.tables import copies, policy, readers

_BATCH = 500  # codes per IN (...) when looking for the other kind's


@dataclass(frozen=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    clashes: tuple[Clash, ...] = ()  # rows left out: their code belongs to the other kind


class ImportRefusedError(Exception):
    """The import looks like a mistake (``plan.reasons``); nothing was changed. ``force``
    (`kiosk-server import --force`, the pages' "import anyway") overrides it."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        super().__init__("; ".join(command_line_refusal(plan, Place.SERVER)[:-1]))


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
    conn: Connection,
    items: Iterable[Reader],
    now: datetime,
    *,
    deactivate_missing: bool,
    force: bool = False,
    mode: ImportMode = ImportMode.REPLACE,
) -> Counts:
    """The roster as a file says it is; ``deactivate_missing`` is False when rows of the file
    were rejected. ImportRefusedError (nothing written) for a file that looks like a mistake."""
    revisions.lock(conn)
    rows = {r.card: reader_values(r) for r in items}
    plan = _plan(conn, readers, Kind.READERS, rows, _held_by_copies(conn, list(rows)),
                 complete=deactivate_missing, mode=mode)  # fmt: skip
    return _apply(conn, readers, plan, rows, now, force=force)


def import_copies(
    conn: Connection,
    items: Iterable[Copy],
    now: datetime,
    *,
    deactivate_missing: bool,
    force: bool = False,
    mode: ImportMode = ImportMode.REPLACE,
) -> Counts:
    """The catalogue as a file says it is; as :func:`import_readers`."""
    revisions.lock(conn)
    items = list(items)
    # A copy the file still knows by its ISBN alone may have been given a barcode since.
    given = relabels.moved(conn, [c.barcode for c in items if c.isbn_only])
    items = [dataclasses.replace(c, barcode=given.get(c.barcode, c.barcode)) for c in items]
    rows = {c.barcode: copy_values(c) for c in items}
    scanned_as = {c.barcode: (c.barcode, *([c.isbn] if c.isbn else [])) for c in items}
    codes = sorted({code for cs in scanned_as.values() for code in cs})
    plan = _plan(conn, copies, Kind.COPIES, rows, _held_by_readers(conn, codes),
                 complete=deactivate_missing, mode=mode, scanned_as=scanned_as)  # fmt: skip
    return _apply(conn, copies, plan, rows, now, force=force)


def _batches(codes: Sequence[str]) -> Iterable[Sequence[str]]:
    return (codes[i : i + _BATCH] for i in range(0, len(codes), _BATCH))


def _held_by_copies(conn: Connection, cards: Sequence[str]) -> dict[str, Owner]:
    """Cards of a roster that a scan would take for a book (its barcode or its cover ISBN)."""
    held: dict[str, Owner] = {}
    for batch in _batches(cards):
        wanted = set(batch)
        found = conn.execute(
            select(copies.c.barcode, copies.c.isbn, copies.c.title)
            .where(copies.c.deleted.is_(False))
            .where(copies.c.barcode.in_(batch) | copies.c.isbn.in_(batch))
            .order_by(copies.c.barcode)
        )
        for barcode, isbn, title in found:
            if barcode in wanted:  # a barcode outranks an ISBN, as the door reads a scan
                held[barcode] = Owner(Held.BARCODE, title=title)
            if isbn in wanted:
                held.setdefault(isbn, Owner(Held.ISBN, title=title))
    return held


def _held_by_readers(conn: Connection, codes: Sequence[str]) -> dict[str, Owner]:
    """Barcodes and ISBNs of a catalogue that are a reader's card number."""
    held: dict[str, Owner] = {}
    for batch in _batches(codes):
        found = conn.execute(
            select(readers.c.card, readers.c.class_name)
            .where(readers.c.deleted.is_(False))
            .where(readers.c.card.in_(batch))
        )
        for card, class_name in found:
            held[card] = Owner(Held.CARD, class_name=class_name)
    return held


def _columns(table: Table) -> list[str]:
    return list(READER_COLUMNS if table is readers else COPY_COLUMNS)


def _plan(
    conn: Connection,
    table: Table,
    kind: Kind,
    rows: Mapping[str, dict[str, Any]],
    other_kind: Mapping[str, Owner],
    *,
    complete: bool,
    mode: ImportMode,
    scanned_as: Mapping[str, Sequence[str]] | None = None,
) -> ImportPlan:
    key = table.primary_key.columns.values()[0]
    columns = _columns(table)
    existing = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in conn.execute(select(key, *(table.c[c] for c in columns)))
    }
    active = {k for k, v in existing.items() if v["active"] and not v["deleted"]}
    return plan_import(kind, existing, active, rows, mode=mode, complete=complete,
                       scanned_as=scanned_as, other_kind=other_kind)  # fmt: skip


def _apply(
    conn: Connection,
    table: Table,
    plan: ImportPlan,
    rows: Mapping[str, dict[str, Any]],
    now: datetime,
    *,
    force: bool,
) -> Counts:
    """Write ``plan``, one new revision per row that changes (under the revisions' lock)."""
    if plan.needs_confirmation and not force:
        raise ImportRefusedError(plan)
    key = table.primary_key.columns.values()[0]
    gone = [(k, {"active": False}) for k in plan.made_inactive]
    numbers = iter(revisions.take(conn, len(plan.added) + len(plan.changed) + len(gone)))
    if plan.added:
        extra = {"added_at": now} if table is copies else {}
        conn.execute(
            table.insert(),
            [
                {key.name: k, **rows[k], **extra, "revision": next(numbers), "updated_at": now}
                for k in plan.added
            ],
        )
    for k, v in [*((k, rows[k]) for k in plan.changed), *gone]:
        conn.execute(
            update(table).where(key == k).values(**v, revision=next(numbers), updated_at=now)
        )
    return Counts(len(plan.added), len(plan.changed), len(plan.unchanged), len(gone), plan.clashes)


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
