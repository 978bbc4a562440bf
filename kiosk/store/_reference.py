"""Reference data (roster, catalogue) made what an imported file says, never deleting anything."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kiosk.core.models import Copy, Reader
from kiosk.store._time import now_iso


@dataclass(frozen=True)
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0  # in the store, missing from the new file: kept, marked inactive


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[str, ...]  # besides the key and updated_at; includes "active"


READERS = Table("readers", "card", ("given_name", "role", "class_name", "grade", "active"))
COPIES = Table(
    "copies",
    "barcode",
    ("isbn", "title", "author", "category", "loan_type", "price", "active", "isbn_only"),
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


def replace_rows(
    conn: sqlite3.Connection,
    table: Table,
    rows: Mapping[str, tuple[object, ...]],
    deactivate_missing: bool,
) -> ImportCounts:
    """Make ``table`` say what the file says (call inside a transaction).

    Rows are updated by key and never deleted: a reader or copy missing from the file becomes
    inactive (when ``deactivate_missing``), and their loans and history stay.
    """
    name, key, columns = table.name, table.key, table.columns
    stamp = now_iso()
    existing = {
        r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT {key}, {', '.join(columns)} FROM {name}")
    }
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
    active = columns.index("active")
    gone = [
        (stamp, k)
        for k, v in existing.items()
        if deactivate_missing and k not in rows and v[active] == 1
    ]
    conn.executemany(f"UPDATE {name} SET active = 0, updated_at = ? WHERE {key} = ?", gone)
    return ImportCounts(added, updated, unchanged, len(gone))
