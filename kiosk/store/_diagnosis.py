"""What is wrong with a kiosk's database file, part by part, without changing it.

``kiosk doctor`` must work on the files that need it most: one whose pages were overwritten by a
failing SD card, one on read-only media. So this module opens the file read-only on its own terms
(not through :class:`Store`, which needs a sound schema to open), checks each part of the file in
turn, and turns every failure into a finding with what to do about it. It never raises.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from kiosk.core.journal import verify_chain
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.store import _forks, _rows, _sync_repair
from kiosk.store._checkpoint import chain_start
from kiosk.store._db import StoreError, UnreadableRow, connect_read_only, describe
from kiosk.store._journal import Journal
from kiosk.store._library import COPY_QUERY, READER_QUERY
from kiosk.store._schema import is_kiosk_database


@dataclass(frozen=True)
class Part:
    """A part of the file a person can name and act on, and the tables that hold it.

    What it is called and what to do when it fails are said by ``kiosk doctor`` in the reader's
    language (``part.<id>`` and ``part.<id>.fix`` in the health catalogue).
    """

    id: str  # stable, for --json and the admin screen
    tables: tuple[str, ...]


FILE = Part("file", ())
KIOSK = Part("kiosk", ("kiosk",))
SCHEMA_VERSION = Part("schema", ("_sqlite_migrations",))
ROSTER = Part("roster", ("readers",))
CATALOGUE = Part("catalogue", ("copies",))
POLICY = Part("policy", ("policy",))
JOURNAL = Part("journal", ("events",))
LOANS = Part("loans", ("loans",))
SYNC = Part("sync", _sync_repair.TABLES)  # outbox, pulled data, retention
PARTS = (FILE, KIOSK, SCHEMA_VERSION, ROSTER, CATALOGUE, POLICY, JOURNAL, LOANS, SYNC)


@dataclass(frozen=True)
class Finding:
    part: Part
    problems: tuple[str, ...] = ()  # empty when the part is sound
    tables_damaged: tuple[str, ...] = ()  # whose pages cannot be read (for --repair)
    indexes_only: bool = False  # the rows are readable, only the indexes are damaged
    # What happened that is no damage but a person should know (key, values): ``note.<key>``
    # in the health catalogue, e.g. the file's history forked from the server's (_forks.py).
    notes: tuple[tuple[str, dict[str, object]], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def diagnose(path: Path) -> list[Finding]:
    """One finding per part of :data:`PARTS`, in that order."""
    try:
        conn = connect_read_only(path)
    except StoreError as exc:
        return _unopenable(str(exc))
    with closing(conn):
        try:
            objects = conn.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        except sqlite3.DatabaseError as exc:
            return _unopenable(describe(path, exc))
        present = {str(name) for kind, name, _ in objects if kind == "table"}
        if not {"kiosk", "events", "_sqlite_migrations"} <= present:
            return _unopenable(f"{path}: not a kiosk database (its tables are missing)")
        return [_check(conn, path, part, present) for part in PARTS]


def _unopenable(problem: str) -> list[Finding]:
    later = "not checked: the database file cannot be read"
    return [Finding(FILE, (problem,))] + [Finding(part, (later,)) for part in PARTS[1:]]


def _check(conn: sqlite3.Connection, path: Path, part: Part, present: set[str]) -> Finding:
    if part is FILE:
        return Finding(FILE, tuple(_whole_file_problems(conn, path)))
    if part is SYNC and not set(part.tables) & present and not _sync_repair.has_sync_schema(conn):
        return Finding(part)  # a file from before sync: migrated when next opened for writing
    missing = [t for t in _sync_repair.expected(conn, part.tables) if t not in present]
    if missing:
        return Finding(part, (f"table {', '.join(missing)} is missing",), tuple(missing))
    damaged: list[str] = []
    indexes_only = True
    problems: list[str] = []
    for table in part.tables:
        table_problems = _table_problems(conn, path, table)
        if table_problems:
            damaged.append(table)
            problems.extend(table_problems)
            indexes_only = indexes_only and _rows_readable(conn, table)
    if damaged:
        return Finding(part, tuple(problems), tuple(damaged), indexes_only)
    if part is LOANS and _table_problems(conn, path, "events"):
        return Finding(part, ("not compared: the journal cannot be read",))
    notes = _sync_notes(conn) if part is SYNC else ()
    return Finding(part, tuple(_content_problems(conn, path, part)), notes=notes)


def _sync_notes(conn: sqlite3.Connection) -> tuple[tuple[str, dict[str, object]], ...]:
    """The last few things sync found out about forks and a server that lost events."""
    try:
        found = _forks.notes(conn)[-5:]
    except sqlite3.DatabaseError:
        return ()  # a damaged notes table is reported as damage, above
    return tuple(
        (n.kind, {"first": n.first, "last": n.last, "journal": n.journal, "at": n.at[:16]})
        for n in found
    )


def _whole_file_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """What integrity_check says beyond single tables (free pages, the file's own structure)."""
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        # A damaged table makes the whole check stop; the table's own part names it.
        return [] if "malformed" in str(exc) else [describe(path, exc)]
    return [] if rows == ["ok"] else [r for r in rows if "never used" in r or "Page" in r][:5]


def _table_problems(conn: sqlite3.Connection, path: Path, table: str) -> list[str]:
    try:
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({table})").fetchall()]
        conn.execute(f"SELECT * FROM {table} NOT INDEXED").fetchall()
    except sqlite3.DatabaseError as exc:
        return [f"table {table}: {describe(path, exc)}"]
    return [] if rows == ["ok"] else [f"table {table}: {row}" for row in rows[:5]]


def _rows_readable(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f"SELECT * FROM {table} NOT INDEXED").fetchall()
    except sqlite3.DatabaseError:
        return False
    return True


def _content_problems(conn: sqlite3.Connection, path: Path, part: Part) -> list[str]:
    """The tables are readable: is what they hold what a kiosk would have written?"""
    check = _CONTENT_CHECKS.get(part.id)
    if check is None:
        return []
    try:
        return check(conn, path)
    except UnreadableRow as row:
        return [f"table {row.table}: a value no kiosk wrote ({row.detail})"]
    except (sqlite3.DatabaseError, StoreError) as exc:
        return [str(exc) if isinstance(exc, StoreError) else describe(path, exc)]


def _kiosk_problems(conn: sqlite3.Connection, _path: Path) -> list[str]:
    row = conn.execute("SELECT kiosk_id FROM kiosk").fetchone()
    return [] if row and row[0] else ["the kiosk id is missing"]


def _schema_problems(conn: sqlite3.Connection, _path: Path) -> list[str]:
    # An older file is not damaged: the kiosk brings it up to date when it next opens it.
    return [] if is_kiosk_database(Database(conn)) else ["no schema version is recorded"]


def _roster_problems(conn: sqlite3.Connection, _path: Path) -> list[str]:
    readers = [_rows.reader(row) for row in conn.execute(READER_QUERY)]
    return [] if readers else ["no readers: the roster has not been imported"]


def _catalogue_problems(conn: sqlite3.Connection, _path: Path) -> list[str]:
    copies = [_rows.copy(row) for row in conn.execute(COPY_QUERY)]
    return [] if copies else ["no copies: the catalogue has not been imported"]


def _policy_problems(conn: sqlite3.Connection, _path: Path) -> list[str]:
    row = conn.execute("SELECT source FROM policy WHERE id = 1").fetchone()
    if row is None:
        return ["no policy imported yet"]
    try:
        parse_policy(str(row[0]))
    except PolicyError as exc:
        return list(exc.problems)
    return []


def _journal_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    events = Journal(conn, path, kiosk_id="").events()
    # After retention the kept journal links to the hash of the last event it retired.
    _, first_prev = chain_start(conn)
    return [f"event {b.seq}: {b.problem}" for b in verify_chain(events, first_prev)]


def _loan_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    return Journal(conn, path, kiosk_id="").projection_differences()


_CONTENT_CHECKS: dict[str, Callable[[sqlite3.Connection, Path], list[str]]] = {
    KIOSK.id: _kiosk_problems,
    SCHEMA_VERSION.id: _schema_problems,
    ROSTER.id: _roster_problems,
    CATALOGUE.id: _catalogue_problems,
    POLICY.id: _policy_problems,
    JOURNAL.id: _journal_problems,
    LOANS.id: _loan_problems,
    SYNC.id: lambda conn, _path: _sync_repair.problems(conn),
}
