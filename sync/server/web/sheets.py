"""What the printed sheets hold: library cards ten to an A4 sheet, a class's card barcodes on one
sheet, accession labels for a range of copies; and the checks on what was asked for.

Every value the sheets print comes from the roster and the catalogue as kiosks pull them: the
card a child taps is the barcode on her card. A request that cannot be printed (an unknown class,
an empty or too long range, a number that is not one) is a ``Refusal`` with its sentence, never a
half-printed sheet.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, or_, select

from sync.server.relabels import RELABELLED
from sync.server.tables import copies, readers
from sync.server.web.barcodes import Barcode, NotPrintableError, code128
from sync.server.web.i18n import N_
from sync.server.web.library import parse_class
from sync.server.web.overdue import class_key

CARDS_PER_SHEET = 10  # 2 x 5 cards of ID-1 size (85.6 x 54 mm) on A4
NAMES_PER_CLASS_SHEET = 48  # 3 x 16 on A4; a larger class goes on to a second sheet
LABELS_PER_SHEET = 24  # 3 x 8 labels of 70 x 37 mm, the common A4 label stock
MAX_LABELS = 20 * LABELS_PER_SHEET  # a print run a librarian checks sheet by sheet

CARD_BARCODE = (60.0, 13.0)  # width and height in mm on a card
CLASS_SHEET_BARCODE = (58.0, 8.0)
LABEL_BARCODE = (64.0, 14.0)


class CardKind(enum.StrEnum):
    """Whose card it is: the card's face says so. A class book corner will be another kind."""

    READER = "reader"


@dataclass(frozen=True)
class Refusal:
    """Why nothing is printed; ``status`` is the page's answer (400 a mistake, 404 nobody)."""

    status: int
    message: str  # an English sentence of the catalogue, with {value} (and {holder}) filled in
    value: str = ""
    holder: str = ""  # what already has the value, where the sentence names it


@dataclass(frozen=True)
class Choice:
    """Whose cards: one class, one grade, or everyone on the roster."""

    class_name: str | None = None
    grade: int | None = None

    @property
    def everyone(self) -> bool:
        return self.class_name is None and self.grade is None


@dataclass(frozen=True)
class CardFace:
    kind: CardKind
    card: str
    name: str
    class_name: str | None  # None for a teacher
    barcode: Barcode | None  # None: the code cannot be printed as Code 128 (the face says so)


@dataclass(frozen=True)
class Label:
    barcode_text: str
    title: str
    category: str
    barcode: Barcode | None


T = TypeVar("T")


def in_sheets(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def choose(query: Any, *, everyone_allowed: bool) -> Choice | Refusal:
    """The readers asked for by ``class=`` or ``grade=`` (or ``all=1``)."""
    wanted_class = (query.get("class") or "").strip()
    wanted_grade = (query.get("grade") or "").strip()
    if wanted_class and wanted_grade:
        return Refusal(400, N_("Choose a class or a grade, not both."))
    if wanted_class:
        found = parse_class(wanted_class)
        if found is None:
            return Refusal(
                400, N_("“{value}” is not a class (write it as 3-1 or 三年级(1)班)."), wanted_class
            )
        return Choice(class_name=found)
    if wanted_grade:
        if not wanted_grade.isdigit() or not 1 <= int(wanted_grade) <= 9:
            return Refusal(
                400, N_("“{value}” is not a grade (a number from 1 to 9)."), wanted_grade
            )
        return Choice(grade=int(wanted_grade))
    if everyone_allowed and query.get("all") == "1":
        return Choice()
    return Refusal(400, N_("Choose a class or a grade to print."))


def _barcode(code: str, box: tuple[float, float]) -> Barcode | None:
    try:
        return code128(code, box_width_mm=box[0], height_mm=box[1])
    except NotPrintableError:
        return None


def _readers(conn: Connection, choice: Choice) -> list[Any]:
    query = select(readers.c.card, readers.c.given_name, readers.c.class_name).where(
        readers.c.active.is_(True), readers.c.deleted.is_(False)
    )
    if choice.class_name is not None:
        query = query.where(readers.c.class_name == choice.class_name)
    elif choice.grade is not None:
        query = query.where(readers.c.grade == choice.grade, readers.c.class_name.is_not(None))
    rows = list(conn.execute(query))
    # By class as the school counts them (teachers last), then in the roster's card order.
    return sorted(rows, key=lambda r: (r.class_name is None, class_key(r.class_name or ""), r.card))


def nobody(choice: Choice) -> Refusal:
    if choice.class_name is not None:
        return Refusal(404, N_("Nobody on the roster is in class {value}."), choice.class_name)
    if choice.grade is not None:
        return Refusal(404, N_("Nobody on the roster is in grade {value}."), str(choice.grade))
    return Refusal(404, N_("The roster is empty: import it on the Readers page first."))


def card_faces(conn: Connection, choice: Choice) -> list[CardFace] | Refusal:
    rows = _readers(conn, choice)
    if not rows:
        return nobody(choice)
    return [
        CardFace(
            CardKind.READER, r.card, r.given_name, r.class_name, _barcode(r.card, CARD_BARCODE)
        )
        for r in rows
    ]


def class_sheets(conn: Connection, choice: Choice) -> list[tuple[str, list[CardFace]]] | Refusal:
    """Each class of ``choice`` with its pupils (teachers have no class sheet)."""
    faces = card_faces(conn, choice)
    if isinstance(faces, Refusal):
        return faces
    by_class: dict[str, list[CardFace]] = {}
    for face in faces:
        if face.class_name is not None:
            small = _barcode(face.card, CLASS_SHEET_BARCODE)
            by_class.setdefault(face.class_name, []).append(
                CardFace(face.kind, face.card, face.name, face.class_name, small)
            )
    if not by_class:
        return nobody(choice)
    return list(by_class.items())


def label_count(text: str | None) -> int | Refusal:
    if text is None or not text.strip():
        return Refusal(400, N_("Say how many labels to print."))
    text = text.strip()
    if not text.isdigit():
        return Refusal(400, N_("“{value}” is not a number of labels."), text[:20])
    count = int(text[:8]) if len(text) <= 8 else MAX_LABELS + 1
    if count == 0:
        return Refusal(400, N_("A range of no labels prints nothing: ask for 1 or more."))
    if count > MAX_LABELS:
        return Refusal(
            400,
            N_("At most {value} labels at once (20 sheets): print a long range in parts."),
            str(MAX_LABELS),
        )
    return count


def labels(conn: Connection, first: str | None, count: int) -> list[Label] | Refusal:
    """``count`` copies in barcode order from the copy labelled ``first`` on (its own barcode:
    a copy known only by its ISBN has none to print yet)."""
    first = (first or "").strip()
    if not first:
        return Refusal(400, N_("Give the barcode of the first copy to label."))
    # A copy known only by its ISBN has no barcode to print until it is given one (relabels).
    own_barcode = or_(copies.c.isbn_only.is_(False), copies.c.barcode.in_(RELABELLED))
    shelf = (copies.c.deleted.is_(False), copies.c.active.is_(True), own_barcode)
    known = conn.execute(select(copies.c.barcode).where(copies.c.barcode == first, *shelf)).first()
    if known is None:
        return Refusal(404, N_("No copy on the shelf has the barcode “{value}”."), first[:80])
    rows = conn.execute(
        select(copies.c.barcode, copies.c.title, copies.c.category)
        .where(copies.c.barcode >= first, *shelf)
        .order_by(copies.c.barcode)
        .limit(count)
    )
    return [Label(r.barcode, r.title, r.category, _barcode(r.barcode, LABEL_BARCODE)) for r in rows]
