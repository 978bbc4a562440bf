"""Checks for single cells of an imported file: codes, text, prices, roles and loan types.

Text is bounded by what the server's tables and sync protocol v1 carry (kiosk.core.bounds): a
name or title the importer takes is one every kiosk's pull can carry.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from kiosk.core import bounds
from kiosk.core.isbn import IsbnError, parse_isbn
from kiosk.core.models import LoanType, ReaderRole

__all__ = [
    "MAX_CODE_CHARS",
    "CellError",
    "author",
    "category",
    "code",
    "loan_type",
    "price",
    "role",
    "text",
    "title",
    "within",
]

MAX_CODE_CHARS = 64  # as many as the door reads (kiosk.core.codes); the protocol carries more
assert MAX_CODE_CHARS <= bounds.CODE_CHARS
_CENTS = Decimal("0.01")

_EXCEL_TEXT = re.compile(r'="(.*)"')  # ="0001001": how Excel keeps leading zeros
_EXCEL_NUMBER = re.compile(r"[0-9](?:\.[0-9]+)?E\+[0-9]+", re.IGNORECASE)  # 9.78718E+12
_PRICE = re.compile(r"(?:CNY|RMB|¥)?([0-9]+(?:\.[0-9]{1,2})?)(?:元)?", re.IGNORECASE)
_ROLES = {"student": ReaderRole.STUDENT, "学生": ReaderRole.STUDENT}
_ROLES |= {"teacher": ReaderRole.TEACHER, "教师": ReaderRole.TEACHER, "老师": ReaderRole.TEACHER}
_LOAN_TYPES = {"loan": LoanType.LOAN, "外借": LoanType.LOAN, "reference": LoanType.REFERENCE}
_LOAN_TYPES |= {"阅览": LoanType.REFERENCE, "工具书": LoanType.REFERENCE}


class CellError(ValueError):
    """A cell that cannot be used; ``expected`` says what would have been accepted."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _printable(value: str) -> bool:
    # Control and format characters (line breaks, bidi overrides) and U+FFFD, the mark of a
    # file read in the wrong encoding, have no place in a name, title or code.
    return "\ufffd" not in value and not any(
        unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs", "Cn"} for char in value
    )


def text(raw: str, what: str, *, required: bool, limit: int | None) -> str:
    """Free text such as a name or title: one line, printable, at most ``limit`` characters
    (None: as long as a line); surrounding spaces dropped."""
    value = raw.strip()
    if required and not value:
        raise CellError(what)
    if not _printable(value):
        raise CellError(f"{what} on one line, without control characters")
    return within(value, what, limit)


def within(value: str, what: str, limit: int | None) -> str:
    """``value`` if it has at most ``limit`` characters (None: any number)."""
    if limit is not None and len(value) > limit:
        raise CellError(f"{what} of at most {limit} characters (this one has {len(value)})")
    return value


def title(raw: str) -> str:
    return text(raw, "a title", required=True, limit=bounds.TITLE_CHARS)


def author(raw: str) -> str:
    return text(raw, "an author", required=False, limit=bounds.AUTHOR_CHARS)


def category(raw: str) -> str:
    return text(raw, "a category", required=False, limit=bounds.CATEGORY_CHARS)


def code(raw: str, what: str) -> str:
    """A card number or barcode: printable, no spaces inside, at most 64 characters."""
    value = raw.strip()
    if match := _EXCEL_TEXT.fullmatch(value):
        value = match[1].strip()
    value = unicodedata.normalize("NFKC", value)  # full-width digits typed with a Chinese IME
    if not value:
        raise CellError(what)
    if _EXCEL_NUMBER.fullmatch(value):
        raise CellError(f"{what} written out in full (format the column as text in Excel)")
    if any(char.isspace() for char in value) or not _printable(value):
        raise CellError(f"{what} without spaces or control characters")
    if len(value) > MAX_CODE_CHARS:
        raise CellError(f"{what} of at most {MAX_CODE_CHARS} characters")
    return value


def _folded(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def role(raw: str) -> ReaderRole:
    """student/学生 or teacher/教师; an empty cell is a student, the usual case."""
    folded = _folded(raw)
    found = _ROLES.get(folded) if folded else ReaderRole.STUDENT
    if found is None:
        raise CellError("student (学生) or teacher (教师)")
    return found


def loan_type(raw: str) -> LoanType:
    """loan/外借 or reference/阅览/工具书; an empty cell is a book that may be lent."""
    folded = _folded(raw)
    found = _LOAN_TYPES.get(folded) if folded else LoanType.LOAN
    if found is None:
        raise CellError("loan (外借) or reference (阅览, 工具书)")
    return found


def isbn(raw: str) -> str:
    """The 13-digit ISBN written in a cell; CellError says what is wrong with it (the door's
    question, "is this code an ISBN?", is kiosk.core.isbn.isbn13's: it answers None)."""
    try:
        return parse_isbn(raw)
    except IsbnError as exc:
        raise CellError(exc.expected) from None


def price(raw: str) -> Decimal | None:
    """A list price such as 12.50, ¥12.50 or 12.5元; empty is unknown."""
    value = "".join(_folded(raw).split())
    if not value:
        return None
    match = _PRICE.fullmatch(value)
    if match is None:
        raise CellError("a price such as 12.50 (not negative, at most 2 decimals)")
    if len(match[1].partition(".")[0].lstrip("0")) > bounds.PRICE_DIGITS:
        raise CellError(f"a price of at most {bounds.PRICE_DIGITS} digits before the point")
    return Decimal(match[1]).quantize(_CENTS)
