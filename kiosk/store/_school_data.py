"""School data (roster, catalogue) made what an imported file says, never deleting anything.

The store reads what it holds and asks the import plan (kiosk.core.import_plan, the same plan
the server applies) what the file would do: a code that already belongs to the other kind (a
card number that is a book's barcode) is left out row by row, and an import that looks like an
Excel accident or a partial list is refused as a whole unless the operator insists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kiosk.core.import_plan import Clash as Clash  # re-exported by kiosk.store
from kiosk.core.import_plan import Held, ImportMode, ImportPlan, Kind, Owner, plan_import
from kiosk.core.import_words import Place, command_line_refusal
from kiosk.core.models import Copy, Reader
from kiosk.store._db import StoreError
from kiosk.store._time import now_iso


@dataclass(frozen=True)
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0  # in the store, missing from the new file: kept, marked inactive
    clashes: tuple[Clash, ...] = ()  # rows refused: their code belongs to the other kind


class ImportRefusedError(StoreError):
    """The import would probably do harm; nothing was changed. ``--force`` overrides it."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        super().__init__("; ".join(command_line_refusal(plan, Place.KIOSK)[:-1]))


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[str, ...]  # besides the key and updated_at; includes "active"
    kind: Kind


READERS = Table(
    "readers", "card", ("given_name", "role", "class_name", "grade", "active"), Kind.READERS
)
COPIES = Table(
    "copies",
    "barcode",
    ("isbn", "title", "author", "category", "loan_type", "price", "active", "isbn_only"),
    Kind.COPIES,
)


def reader_rows(readers: Iterable[Reader]) -> dict[str, tuple[object, ...]]:
    return {
        r.card: (
            r.given_name,
            r.role.value,
            str(r.class_name) if r.class_name else None,
            r.grade,
            int(r.active),
        )
        for r in readers
    }


def copy_rows(copies: Iterable[Copy]) -> dict[str, tuple[object, ...]]:
    return {
        c.barcode: (
            c.isbn,
            c.title,
            c.author,
            c.category,
            c.loan_type.value,
            str(c.price) if c.price is not None else None,
            int(c.active),
            int(c.isbn_only),
        )
        for c in copies
    }


def held_by_copies(conn: sqlite3.Connection, cards: Iterable[str]) -> dict[str, Owner]:
    """Cards of a roster that a scan would take for a book (its barcode or its cover ISBN)."""
    held = {}
    for card in cards:
        row = conn.execute(
            "SELECT barcode, isbn, title FROM copies WHERE barcode = ? OR isbn = ? "
            "ORDER BY barcode = ? DESC, barcode LIMIT 1",
            (card, card, card),
        ).fetchone()
        if row is not None:
            held[card] = Owner(Held.BARCODE if row[0] == card else Held.ISBN, title=row[2])
    return held


def held_by_readers(conn: sqlite3.Connection, codes: Iterable[str]) -> dict[str, Owner]:
    """Barcodes and ISBNs of a catalogue that are a reader's card number."""
    held = {}
    for code in codes:
        row = conn.execute("SELECT class_name FROM readers WHERE card = ?", (code,)).fetchone()
        if row is not None:
            held[code] = Owner(Held.CARD, class_name=row[0])
    return held


def replace_rows(
    conn: sqlite3.Connection,
    table: Table,
    rows: Mapping[str, tuple[object, ...]],
    *,
    mode: ImportMode,
    complete: bool,
    force: bool,
    other_kind: Mapping[str, Owner],
    scanned_as: Mapping[str, Sequence[str]] | None = None,
) -> ImportCounts:
    """Make ``table`` say what the file says (call inside a transaction).

    Rows are updated by key and never deleted: a reader or copy missing from the file becomes
    inactive (in REPLACE mode of a ``complete`` file), and their loans and history stay. Rows
    whose code the other kind holds are left out; while any is, nobody is made inactive. Raises
    ImportRefusedError, before anything is written, for an import that looks like a mistake
    (unless ``force``). See kiosk.core.import_plan.
    """
    name, key, columns = table.name, table.key, table.columns
    existing = {
        r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT {key}, {', '.join(columns)} FROM {name}")
    }
    active = columns.index("active")
    plan = plan_import(
        table.kind,
        existing,
        {k for k, v in existing.items() if v[active] == 1},
        rows,
        mode=mode,
        complete=complete,
        scanned_as=scanned_as,
        other_kind=other_kind,
    )
    if plan.needs_confirmation and not force:
        raise ImportRefusedError(plan)
    stamp = now_iso()
    upsert = (
        f"INSERT INTO {name} ({key}, {', '.join(columns)}, updated_at) "
        f"VALUES ({', '.join('?' * (len(columns) + 2))}) ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at"))
    )
    conn.executemany(upsert, [(k, *rows[k], stamp) for k in (*plan.added, *plan.changed)])
    conn.executemany(
        f"UPDATE {name} SET active = 0, updated_at = ? WHERE {key} = ?",
        [(stamp, k) for k in plan.made_inactive],
    )
    return ImportCounts(
        len(plan.added),
        len(plan.changed),
        len(plan.unchanged),
        len(plan.made_inactive),
        plan.clashes,
    )
