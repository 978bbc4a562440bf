"""Reference data (roster, catalogue) made what an imported file says, never deleting anything.

Before anything is written, the import is checked against what the kiosk holds: a code that
already belongs to the other kind (a card number that is a book's barcode) is refused row by row,
and an import that looks like an Excel accident or a partial list is refused as a whole unless
the operator insists (see kiosk.core.reference).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kiosk.core.models import Copy, Reader
from kiosk.core.reference import ImportConcern, import_concerns, leading_zero_twins
from kiosk.store._db import StoreError
from kiosk.store._time import now_iso


@dataclass(frozen=True)
class Clash:
    """A row of the file whose code already belongs to the other kind, and what it belongs to."""

    key: str  # the row's card or barcode
    code: str  # the code that clashes (for a copy, its barcode or its ISBN)
    owner: str  # e.g. "the barcode of 《夏洛的网》 in the catalogue"


@dataclass(frozen=True)
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0  # in the store, missing from the new file: kept, marked inactive
    clashes: tuple[Clash, ...] = ()  # rows refused: their code belongs to the other kind


class ImportRefusedError(StoreError):
    """The import would probably do harm; nothing was changed. ``--force`` overrides it."""

    def __init__(self, concerns: list[ImportConcern]) -> None:
        self.concerns = tuple(concerns)
        super().__init__("; ".join(c.message for c in concerns))


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[str, ...]  # besides the key and updated_at; includes "active"
    what: str  # what its rows are, in a sentence


READERS = Table(
    "readers", "card", ("given_name", "role", "class_name", "grade", "active"), "readers"
)
COPIES = Table(
    "copies",
    "barcode",
    ("isbn", "title", "author", "category", "loan_type", "price", "active", "isbn_only"),
    "copies",
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


def card_clashes(conn: sqlite3.Connection, cards: Iterable[str]) -> dict[str, Clash]:
    """Cards of a roster that a scan would take for a book (its barcode or its cover ISBN)."""
    clashes = {}
    for card in cards:
        row = conn.execute(
            "SELECT barcode, isbn, title FROM copies WHERE barcode = ? OR isbn = ? LIMIT 1",
            (card, card),
        ).fetchone()
        if row is not None:
            kind = "barcode" if row[0] == card else "ISBN"
            clashes[card] = Clash(card, card, f"the {kind} of 《{row[2]}》 in the catalogue")
    return clashes


def copy_clashes(conn: sqlite3.Connection, copies: Iterable[Copy]) -> dict[str, Clash]:
    """Copies of a catalogue whose barcode or ISBN is a reader's card number."""
    clashes = {}
    for copy in copies:
        for code in (copy.barcode, copy.isbn):
            if code is None:
                continue
            row = conn.execute("SELECT class_name FROM readers WHERE card = ?", (code,)).fetchone()
            if row is not None:
                where = f" in class {row[0]}" if row[0] else ""
                owner = f"the card of a reader{where} on the roster"
                clashes[copy.barcode] = Clash(copy.barcode, code, owner)
                break
    return clashes


def replace_rows(
    conn: sqlite3.Connection,
    table: Table,
    rows: Mapping[str, tuple[object, ...]],
    *,
    deactivate_missing: bool,
    force: bool,
    clashes: Mapping[str, Clash],
) -> ImportCounts:
    """Make ``table`` say what the file says (call inside a transaction).

    Rows are updated by key and never deleted: a reader or copy missing from the file becomes
    inactive (when ``deactivate_missing``), and their loans and history stay. Rows in ``clashes``
    are left out; while any is, nobody is made inactive. Raises ImportRefusedError, before
    anything is written, for an import that looks like a mistake (unless ``force``).
    """
    name, key, columns = table.name, table.key, table.columns
    existing = {
        r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT {key}, {', '.join(columns)} FROM {name}")
    }
    rows = {k: v for k, v in rows.items() if k not in clashes}
    active = columns.index("active")
    was_active = [k for k, v in existing.items() if v[active] == 1]
    gone = [k for k in was_active if k not in rows] if deactivate_missing and not clashes else []
    if not force:
        concerns = import_concerns(
            table.what,
            active_before=len(was_active),
            made_inactive=len(gone),
            twins=leading_zero_twins(rows, existing),
        )
        if concerns:
            raise ImportRefusedError(concerns)
    stamp = now_iso()
    upsert = (
        f"INSERT INTO {name} ({key}, {', '.join(columns)}, updated_at) "
        f"VALUES ({', '.join('?' * (len(columns) + 2))}) ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at"))
    )
    added = updated = unchanged = 0
    changed = []
    for k, values in rows.items():
        before = existing.get(k)
        if before == values:
            unchanged += 1
            continue
        if before is None:
            added += 1
        else:
            updated += 1
        changed.append((k, *values, stamp))
    conn.executemany(upsert, changed)
    conn.executemany(
        f"UPDATE {name} SET active = 0, updated_at = ? WHERE {key} = ?", [(stamp, k) for k in gone]
    )
    return ImportCounts(added, updated, unchanged, len(gone), tuple(clashes.values()))
