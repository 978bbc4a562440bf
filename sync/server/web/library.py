"""The catalogue and the roster as the librarian searches them, and files imported into them.

Imports go through the server's own importer (sync.server.reference), which reads files with
the kiosk's importers (kiosk.imports): a row error reads the same here, on the command line and
on a kiosk. A file that is not text or not the right kind is refused whole, and as on the command
line, nobody becomes inactive while any row of a file is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from kiosk.core.classes import ClassNameError, parse_class_name
from kiosk.imports import RowError, parse_catalog, parse_roster
from kiosk.imports.marc import MarcUnavailableError
from sync.server import reference
from sync.server.tables import copies, loans, readers
from sync.server.web.registers import held_back, states

PAGE_ROWS = 50
MAX_SEARCH = 80
_BINARY_PROBE = 8192


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching itself anywhere (its % and _ are literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_copies(
    conn: Connection, text: str, *, offset: int = 0, size: int = PAGE_ROWS
) -> tuple[list[Any], bool]:
    query = (
        select(copies, loans.c.on_loan, loans.c.card.label("holder"), loans.c.due)
        .select_from(copies)
        .outerjoin(loans, loans.c.barcode == copies.c.barcode)
        .where(copies.c.deleted.is_(False))
    )
    if text:
        pattern = like_pattern(text.casefold())
        query = query.where(
            or_(
                func.lower(copies.c.title).like(pattern, escape="\\"),
                func.lower(copies.c.author).like(pattern, escape="\\"),
                func.lower(copies.c.barcode).like(pattern, escape="\\"),
                copies.c.isbn.like(pattern, escape="\\"),
            )
        )
    rows = list(conn.execute(query.order_by(copies.c.barcode).offset(offset).limit(size + 1)))
    return rows[:size], len(rows) > size


def copy_states(conn: Connection, barcodes: list[str]) -> dict[str, Any]:
    return states(conn, barcodes)


def find_copy(conn: Connection, barcode: str) -> Any:
    return conn.execute(
        select(copies, loans.c.on_loan, loans.c.card.label("holder"), loans.c.due)
        .select_from(copies)
        .outerjoin(loans, loans.c.barcode == copies.c.barcode)
        .where(copies.c.barcode == barcode, copies.c.deleted.is_(False))
    ).first()


def parse_class(text: str) -> str | None:
    try:
        return str(parse_class_name(text))
    except ClassNameError:
        return None


def search_readers(
    conn: Connection,
    text: str,
    class_name: str | None,
    *,
    offset: int = 0,
    size: int = PAGE_ROWS,
) -> tuple[list[Any], bool]:
    on_loan = (
        select(loans.c.card, func.count().label("books"))
        .where(loans.c.on_loan.is_(True))
        .group_by(loans.c.card)
        .subquery()
    )
    query = (
        select(readers, func.coalesce(on_loan.c.books, 0).label("books"))
        .select_from(readers)
        .outerjoin(on_loan, on_loan.c.card == readers.c.card)
        .where(readers.c.deleted.is_(False))
    )
    if text:
        pattern = like_pattern(text.casefold())
        query = query.where(
            or_(
                func.lower(readers.c.card).like(pattern, escape="\\"),
                readers.c.given_name.like(pattern, escape="\\"),
            )
        )
    if class_name:
        query = query.where(readers.c.class_name == class_name)
    query = query.order_by(readers.c.class_name, readers.c.card).offset(offset).limit(size + 1)
    rows = list(conn.execute(query))
    return rows[:size], len(rows) > size


def classes(conn: Connection) -> list[str]:
    from sync.server.web.overdue import class_key

    found = conn.execute(
        select(readers.c.class_name)
        .where(readers.c.class_name.is_not(None), readers.c.deleted.is_(False))
        .distinct()
    ).scalars()
    return sorted((c for c in found if c), key=class_key)


@dataclass(frozen=True)
class Imported:
    file: str
    added: int
    updated: int
    unchanged: int
    deactivated: int
    errors: tuple[RowError, ...]
    refused: str | None = None  # the whole file was refused: why (nothing imported)


def looks_binary(data: bytes) -> bool:
    """Text files (CSV in any encoding schools use, MARC) never hold a NUL byte."""
    return b"\x00" in data[:_BINARY_PROBE]


def import_file(conn: Connection, kind: str, filename: str, data: bytes, now: datetime) -> Imported:
    """Import a roster ("roster") or catalogue ("catalog") file's good rows in ``conn``."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120] or "upload"
    try:
        if kind == "roster":
            readers_read = parse_roster(data, name)
            errors = readers_read.errors
            if not readers_read.items:
                return Imported(name, 0, 0, 0, 0, errors, refused="no_rows")
            counts = reference.import_readers(
                conn, readers_read.items, now, deactivate_missing=not errors
            )
        else:
            copies_read = parse_catalog(data, name)
            errors = copies_read.errors
            if not copies_read.items:
                return Imported(name, 0, 0, 0, 0, errors, refused="no_rows")
            counts = reference.import_copies(
                conn, held_back(conn, copies_read.items), now, deactivate_missing=not errors
            )
    except MarcUnavailableError as exc:
        return Imported(name, 0, 0, 0, 0, (), refused=str(exc))
    return Imported(
        name,
        counts.added,
        counts.updated,
        counts.unchanged,
        counts.deactivated,
        errors,
    )
