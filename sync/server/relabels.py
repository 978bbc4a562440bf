"""ISBN-only copies get barcodes of their own: the catalogue learns them, and kiosks with the
next pull.

A library that never labelled its copies knows them by their cover ISBN, as ``<ISBN>#n`` (the
n-th copy; kiosk.imports.copies). Giving such a copy an accession barcode makes it a copy row of
that barcode, with the same book, and the old ``<ISBN>#n`` row a tombstone: kiosks pull both
(the tombstone only makes their old row inactive). The new row is still ``isbn_only``, because
until its label is on, a child scans the cover ISBN, and a kiosk resolves that ISBN among the
ISBN-only copies as before (kiosk.core.books); scanned by its new barcode, it is that copy.
``copy_relabels`` remembers which ``<ISBN>#n`` each barcode replaced, so a catalogue file that
still lists the copy by its ISBN alone keeps naming this copy (:func:`moved`).

Only copies on the shelf are relabelled: a copy out on loan, or named by an open reservation,
keeps its identity until it is back or the reservation closes, so no loan or reservation has to
move between two names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.core.isbn import isbn13
from sync.server import revisions
from sync.server.reservations import OPEN as OPEN_RESERVATIONS
from sync.server.tables import copies, copy_relabels, loans, readers, reservations

ISBN_COPY_MARK = "#"  # as kiosk.imports.copies numbers them
# An accession barcode as libraries print them: letters, digits, '.' or '-', ending in the
# number that counts up (L0001, 2026-0001); short enough for a small label and the journal.
# The barcodes given to ISBN-only copies: a label can be printed for these, though still
# ``isbn_only``.
RELABELLED = select(copy_relabels.c.barcode)
_FIRST = re.compile(r"([0-9A-Za-z][0-9A-Za-z.\-]{0,11}?)(\d{1,8})")


@dataclass(frozen=True)
class Relabelled:
    isbn_copy: str
    barcode: str
    title: str


@dataclass(frozen=True)
class RelabelRefused:
    """Why nothing was relabelled: ``reason`` names it, ``code`` and ``holder`` fill the
    sentence (a barcode of the range and what already has it)."""

    # bad_first, runs_out, nothing_waiting, runs_into_copy, runs_into_isbn, runs_into_card
    reason: str
    code: str = ""
    holder: str = ""


def codes_from(first: str, count: int) -> list[str] | None:
    """``count`` barcodes counting up from ``first``, the number keeping its width (L0098,
    L0099, L0100); None if ``first`` is not a barcode that counts up, or runs out of digits."""
    found = _FIRST.fullmatch(first)
    if found is None or isbn13(first) is not None:
        return None
    prefix, number = found.groups()
    width, start = len(number), int(number)
    if len(str(start + count - 1)) > width:
        return None
    return [f"{prefix}{start + i:0{width}d}" for i in range(count)]


def _copy_number(barcode: str) -> int:
    _, _, number = barcode.rpartition(ISBN_COPY_MARK)
    return int(number) if number.isdigit() else 0


def waiting(conn: Connection) -> list[Any]:
    """The ISBN-only copies on the shelf with no barcode of their own, by ISBN and copy."""
    out_now = select(loans.c.barcode).where(loans.c.on_loan.is_(True))
    # A reservation names the copy it waits for or holds: that copy keeps its name till it closes
    # (NULLs left out: NOT IN over a NULL matches nothing).
    open_reservation = reservations.c.state.in_(OPEN_RESERVATIONS)
    waited_for = select(reservations.c.barcode).where(
        open_reservation, reservations.c.barcode.is_not(None)
    )
    held = select(reservations.c.ready_barcode).where(
        open_reservation, reservations.c.ready_barcode.is_not(None)
    )
    rows = conn.execute(
        select(copies)
        .where(
            copies.c.isbn_only.is_(True),
            copies.c.active.is_(True),
            copies.c.deleted.is_(False),
            copies.c.barcode.contains(ISBN_COPY_MARK, autoescape=True),
            copies.c.barcode.not_in(out_now),
            copies.c.barcode.not_in(waited_for),
            copies.c.barcode.not_in(held),
        )
        .order_by(copies.c.isbn, copies.c.barcode)
    ).all()
    return sorted(rows, key=lambda r: (r.isbn or "", _copy_number(r.barcode)))


def _clash(conn: Connection, codes: list[str]) -> RelabelRefused | None:
    """The first code of the range something already answers to at a kiosk's scanner."""
    copy = conn.execute(
        select(copies.c.barcode, copies.c.title)
        .where(copies.c.barcode.in_(codes))
        .order_by(copies.c.barcode)
    ).first()
    if copy is not None:
        return RelabelRefused("runs_into_copy", copy.barcode, copy.title)
    isbn = conn.execute(
        select(copies.c.isbn, copies.c.title)
        .where(copies.c.isbn.in_(codes))
        .order_by(copies.c.isbn)
    ).first()
    if isbn is not None:
        return RelabelRefused("runs_into_isbn", isbn.isbn, isbn.title)
    card = conn.execute(
        select(readers.c.card, readers.c.class_name)
        .where(readers.c.card.in_(codes))
        .order_by(readers.c.card)
    ).first()
    if card is not None:
        return RelabelRefused("runs_into_card", card.card, card.class_name or "")
    return None


def relabel(
    conn: Connection, first: str, count: int, now: datetime, by: str
) -> list[Relabelled] | RelabelRefused:
    """Give up to ``count`` waiting copies the barcodes from ``first`` on, in one transaction
    (the caller's); nothing is changed when any of those barcodes is already taken."""
    if codes_from(first, 1) is None:
        return RelabelRefused("bad_first", first)
    revisions.lock(conn)
    chosen = waiting(conn)[:count]
    if not chosen:
        return RelabelRefused("nothing_waiting")
    codes = codes_from(first, len(chosen))
    if codes is None:
        return RelabelRefused("runs_out", first)
    clash = _clash(conn, codes)
    if clash is not None:
        return clash
    numbers = iter(revisions.take(conn, 2 * len(chosen)))
    done = []
    for old, code in zip(chosen, codes, strict=True):
        kept = ("barcode", "revision", "updated_at")
        fields = {k: v for k, v in old._mapping.items() if k not in kept}
        conn.execute(
            insert(copies).values(**fields, barcode=code, revision=next(numbers), updated_at=now)
        )
        conn.execute(
            update(copies)
            .where(copies.c.barcode == old.barcode)
            .values(active=False, deleted=True, revision=next(numbers), updated_at=now)
        )
        conn.execute(
            insert(copy_relabels).values(
                isbn_copy=old.barcode, barcode=code, relabelled_at=now, relabelled_by=by
            )
        )
        done.append(Relabelled(old.barcode, code, old.title))
    return done


def moved(conn: Connection, isbn_copies: list[str]) -> dict[str, str]:
    """``<ISBN>#n`` -> the barcode it was given, for those of ``isbn_copies`` that were."""
    found: dict[str, str] = {}
    for i in range(0, len(isbn_copies), 500):
        batch = isbn_copies[i : i + 500]
        rows = conn.execute(
            select(copy_relabels.c.isbn_copy, copy_relabels.c.barcode).where(
                copy_relabels.c.isbn_copy.in_(batch)
            )
        )
        found.update({r.isbn_copy: r.barcode for r in rows})
    return found
