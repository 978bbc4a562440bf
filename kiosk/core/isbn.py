"""ISBNs as catalogues and covers carry them (hyphens, spaces, ISBN-10), checked and made ISBN-13.

One implementation, two questions: the door's, "is this scanned code a book's ISBN?" (isbn13,
None when it is not), and the importers', "is this cell a valid ISBN, and if not, why not?"
(parse_isbn, raising IsbnError; kiosk.imports.cells.isbn makes that a cell error).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["IsbnError", "isbn13", "parse_isbn"]

_PREFIX = re.compile(r"^ISBN(?:-1[03])?:?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]")


class IsbnError(ValueError):
    """Not a valid ISBN; ``expected`` says what would have been one."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _ean_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str(-total % 10)


def _isbn10_valid(digits: str) -> bool:
    values = [10 if d == "X" else int(d) for d in digits]
    return sum(w * v for w, v in zip(range(10, 0, -1), values, strict=True)) % 11 == 0


def parse_isbn(raw: str) -> str:
    """The 13-digit ISBN written in ``raw``; raise IsbnError saying what is wrong with it.

    Only 978/979 EAN-13 codes are books; other EAN-13s (a pencil case) are not ISBNs.
    """
    text = _SEPARATORS.sub("", _PREFIX.sub("", unicodedata.normalize("NFKC", raw).strip())).upper()
    if re.fullmatch(r"[0-9]{9}[0-9X]", text):
        if not _isbn10_valid(text):
            raise IsbnError("an ISBN with a correct check digit")
        first12 = "978" + text[:9]
        return first12 + _ean_check(first12)
    if not re.fullmatch(r"[0-9]{13}", text):
        raise IsbnError("an ISBN of 10 or 13 digits")
    if not text.startswith(("978", "979")):
        raise IsbnError("an ISBN starting with 978 or 979")
    if _ean_check(text[:12]) != text[12]:
        raise IsbnError("an ISBN with a correct check digit")
    return text


def isbn13(raw: str) -> str | None:
    """The ISBN-13 in ``raw`` if it is a valid ISBN, else None (for "is this barcode an ISBN?")."""
    try:
        return parse_isbn(raw)
    except IsbnError:
        return None
