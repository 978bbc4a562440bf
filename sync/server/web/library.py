"""The catalogue and the roster as the librarian searches them, and files imported into them.

Imports go through the server's own importer (sync.server.school_data), which reads files with
the kiosk's importers (kiosk.imports): a row error reads the same here, on the command line and
on a kiosk. A file that is not text or not the right kind is refused whole, and as on the command
line, nobody becomes inactive while any row of a file is rejected. A file the import plan asks
about (kiosk.core.import_plan: codes that lost their leading zeros, a list that would make many
inactive) is refused whole with its reasons until the librarian confirms that very file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from kiosk.core import import_words
from kiosk.core.classes import ClassNameError, parse_class_name
from kiosk.core.import_plan import Clash, ImportMode, Kind, Reason
from kiosk.core.import_words import Place
from kiosk.core.models import Copy, Reader
from kiosk.imports import ImportResult, RowError, parse_catalog, parse_roster
from kiosk.imports.marc import MarcUnavailableError
from sync.server import school_data
from sync.server.tables import copies, loans, readers
from sync.server.web.i18n import N_, Translate
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
    # Refused as a likely mistake ("confirm"): the import plan's reasons in the visitor's
    # language, the file's digest that "import anyway" must post back, and whether "add only"
    # would be enough (the file would make many inactive).
    asked: tuple[str, ...] = ()
    digest: str = ""
    add_only_helps: bool = False


# The import plan's sentences (kiosk.core.import_words.WORDS), marked for the pages' catalogue,
# whose Chinese they get; tests/web/test_import_guard.py keeps this list the same as the plan's.
PLAN_WORDS = (
    N_(
        "{count} code(s) in the file equal codes already on the {place} but for their leading "
        "zeros ({examples}): Excel drops the leading zeros of numbers. Format the column as text "
        "in Excel and save the file again"
    ),
    N_("{in_file} in the file is {held} on the {place}"),
    N_("{examples} and {count} more"),
    N_(", "),
    N_(
        "the file would make {count} of {active} {what} inactive ({share}%, more than "
        "{limit}%): is it the whole list?"
    ),
    N_("readers"),
    N_("copies"),
    N_("kiosk"),
    N_("server"),
    N_("a card number that is not a book's barcode or ISBN"),
    N_("a barcode and ISBN that are not a reader's card number"),
    N_("already the barcode of 《{title}》 in the catalogue"),
    N_("already the ISBN of 《{title}》 in the catalogue"),
    N_("already the card of a reader on the roster"),
    N_("already the card of a reader in class {class_name} on the roster"),
)


def _same(message: str) -> str:
    return message


def looks_binary(data: bytes) -> bool:
    """Text files (CSV in any encoding schools use, MARC) never hold a NUL byte."""
    return b"\x00" in data[:_BINARY_PROBE]


def file_digest(data: bytes) -> str:
    """What "import anyway" posts back: it confirms this file, not whichever is chosen next."""
    return hashlib.sha256(data).hexdigest()


def import_file(
    conn: Connection,
    kind: str,
    filename: str,
    data: bytes,
    now: datetime,
    *,
    t: Translate = _same,
    force: bool = False,
    mode: ImportMode = ImportMode.REPLACE,
) -> Imported:
    """Import a roster ("roster") or catalogue ("catalog") file's good rows in ``conn``; what
    the import plan asks about and the rows it leaves out are said with ``t``."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120] or "upload"
    read: ImportResult[Reader] | ImportResult[Copy]
    try:
        if kind == "roster":
            read = roster = parse_roster(data, name)
            if not roster.items:
                return Imported(name, 0, 0, 0, 0, roster.errors, refused="no_rows")
            counts = school_data.import_readers(conn, roster.items, now, force=force, mode=mode,
                                              deactivate_missing=not roster.errors)  # fmt: skip
        else:
            read = catalog = parse_catalog(data, name)
            if not catalog.items:
                return Imported(name, 0, 0, 0, 0, catalog.errors, refused="no_rows")
            counts = school_data.import_copies(conn, held_back(conn, catalog.items), now,
                                             force=force, mode=mode,
                                             deactivate_missing=not catalog.errors)  # fmt: skip
    except MarcUnavailableError as exc:
        return Imported(name, 0, 0, 0, 0, (), refused=str(exc))
    except school_data.ImportRefusedError as refused:
        plan = refused.plan
        return Imported(
            name, 0, 0, 0, 0, read.errors, refused="confirm",
            asked=tuple(import_words.refusal(plan, r, Place.SERVER, t) for r in plan.reasons),
            digest=file_digest(data),
            add_only_helps=Reason.MANY_MADE_INACTIVE in plan.reasons,
        )  # fmt: skip
    return Imported(
        name,
        counts.added,
        counts.updated,
        counts.unchanged,
        counts.deactivated,
        _with_clashes(read, Kind.READERS if kind == "roster" else Kind.COPIES, counts.clashes, t),
    )


def _with_clashes(
    read: ImportResult[Reader] | ImportResult[Copy],
    kind: Kind,
    clashes: tuple[Clash, ...],
    t: Translate,
) -> tuple[RowError, ...]:
    """The file's row errors and its rows left out for a code of the other kind, by line; who
    holds the code is said in "expected" (the pages' table has no column for a note)."""
    if not clashes:
        return read.errors
    keys = [item.card if isinstance(item, Reader) else item.barcode for item in read.items]
    line_of = dict(zip(keys, read.lines, strict=True))
    expected = import_words.clash_expected(kind, t)
    said = t(N_("{expected} ({owner})"))
    left_out = [
        RowError(
            read.file,
            line_of[c.key],
            read.key_column,
            said.format(expected=expected, owner=import_words.clash_owner(c.owner, t)),
            c.code,
        )
        for c in clashes
    ]
    return tuple(sorted([*read.errors, *left_out], key=lambda e: e.line))
