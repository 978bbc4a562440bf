"""Mending the parts of a damaged file that can be rebuilt: `kiosk doctor --repair`.

A damaged table cannot be emptied or dropped the usual way (SQLite would have to read the very
pages that are broken), so its entries are taken out of the schema directly and the table is
created again; ``VACUUM`` then leaves the orphaned pages behind. What comes back is only what can
honestly come back: rows that were still readable (when only an index was damaged), the loan
table rebuilt from the journal, the kiosk id read back from the journal, the schema version
inferred from the tables present. A roster, catalogue or policy whose rows are lost is left
empty, to be imported again; a journal whose rows are lost is never touched.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlite_utils import Database

from kiosk.store import _sync_repair
from kiosk.store._db import StoreError, describe, write_transaction
from kiosk.store._diagnosis import JOURNAL, KIOSK, LOANS, SCHEMA_VERSION, SYNC, Finding
from kiosk.store._journal import Journal
from kiosk.store._lock import DoorBusyError, DoorLock
from kiosk.store._schema import migrations
from kiosk.store._time import now_iso


def repair(path: Path, findings: list[Finding]) -> list[str]:
    """Mend what :func:`diagnose` found, with the door locked; what was done, as sentences."""
    try:
        lock = DoorLock(path)
    except DoorBusyError:
        raise StoreError(
            f"{path}: the kiosk is running; stop the touchscreen app and the sync worker first"
        ) from None
    try:
        return _repair(path, findings)
    except sqlite3.DatabaseError as exc:
        raise StoreError(describe(path, exc)) from exc
    finally:
        lock.release()


def _repair(path: Path, findings: list[Finding]) -> list[str]:
    done: list[str] = []
    mendable = [f for f in findings if f.tables_damaged and _mendable(f)]
    for finding in mendable:
        for table in finding.tables_damaged:
            kept = _recreate(path, table, keep_rows=finding.indexes_only)
            what = f"kept its {kept} row(s)" if finding.indexes_only else "now empty"
            done.append(f"{finding.part.id}: table {table} rebuilt ({what})")
    if mendable:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            try:
                conn.execute("VACUUM")  # drops the pages nothing refers to any more
            except sqlite3.DatabaseError as exc:
                done.append(f"the file could not be compacted ({exc}); other damage remains")
    for finding in mendable:
        if finding.indexes_only:
            continue
        if finding.part is KIOSK:
            done.append(_restore_kiosk_id(path))
        elif finding.part is SCHEMA_VERSION:
            done.append(_restore_schema_version(path))
    sync_rebuilt = {t for f in mendable if f.part is SYNC for t in f.tables_damaged}
    if sync_rebuilt or any(f.part is SYNC and not f.ok for f in findings):
        done += _sync_repair.restore(path, sync_rebuilt)  # before the loans: see its docstring
    journal_readable = all(f.ok for f in findings if f.part is JOURNAL) or any(
        f.part is JOURNAL and f.indexes_only for f in findings
    )
    if journal_readable and any(f.part is LOANS and not f.ok for f in findings):
        done.append(
            f"loan table rebuilt from the journal: {_rebuild_loans(path)} loan(s) corrected"
        )
    return done


def _mendable(finding: Finding) -> bool:
    # The journal is the truth: its rows are never replaced, only its indexes rebuilt.
    return finding.part is not JOURNAL or finding.indexes_only


def _recreate(path: Path, table: str, *, keep_rows: bool) -> int:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        objects = conn.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY type = 'table' DESC",
            (table,),
        ).fetchall()
        if not objects or objects[0][0] != "table":
            raise StoreError(f"{path}: table {table} is missing; restore the file from a backup")
        rows = conn.execute(f"SELECT * FROM {table} NOT INDEXED").fetchall() if keep_rows else []
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM sqlite_master WHERE tbl_name = ?", (table,))
        conn.execute("COMMIT")
        conn.execute("PRAGMA writable_schema=OFF")
    # A new connection reads the schema without the table, then builds it again.
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(objects[0][1])
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        for _kind, sql in objects[1:]:  # indexes and triggers after the rows
            conn.execute(sql)
        conn.execute("COMMIT")
    return len(rows)


def _restore_kiosk_id(path: Path) -> str:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        row = conn.execute("SELECT kiosk_id FROM events ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return "kiosk id: the journal is empty, so it cannot be read back; run `kiosk init`"
        conn.execute(
            "INSERT INTO kiosk (id, kiosk_id, created_at) VALUES (1, ?, ?)", (row[0], now_iso())
        )
    return f"kiosk id: {row[0]!r}, read back from the journal"


def _restore_schema_version(path: Path) -> str:
    """Record as applied the longest run of migrations whose tables the file has."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        have = _objects(conn)
        db = Database(conn)
        applied = _migrations_matching(have)
        migrations.ensure_migrations_table(db)
        with write_transaction(db, path):
            for name in applied:
                conn.execute(
                    "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                    "VALUES (?, ?, ?)",
                    (migrations.name, name, now_iso()),
                )
    return f"schema version: {len(applied)} migration(s) recorded from the tables present"


def _migrations_matching(have: set[tuple[str, str]]) -> list[str]:
    fresh = Database(memory=True)
    names: list[str] = []
    matched: list[str] = []
    for migration in migrations.pending(fresh):
        with fresh.atomic():
            migration.fn(fresh)
        names.append(migration.name)
        if _objects(fresh.conn) <= have:
            matched = list(names)
    return matched


def _objects(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    rows = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE '%sqlite_migrations%'"
    )
    return {(str(kind), str(name)) for kind, name in rows}


def _rebuild_loans(path: Path) -> int:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        db = Database(conn)
        with write_transaction(db, path):
            return Journal(conn, path, kiosk_id="").rebuild_loans()
