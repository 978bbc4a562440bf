"""ISBNs as catalogues write them (hyphens, spaces, ISBN-10) checked and turned into ISBN-13."""

from __future__ import annotations

import re
import unicodedata

from kiosk.imports.cells import CellError

__all__ = ["isbn13", "isbn13_or_none"]

_PREFIX = re.compile(r"^ISBN(?:-1[03])?:?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]")


def _ean_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str(-total % 10)


def _isbn10_valid(digits: str) -> bool:
    values = [10 if d == "X" else int(d) for d in digits]
    return (
        sum(weight * value for weight, value in zip(range(10, 0, -1), values, strict=True)) % 11
        == 0
    )


def isbn13(raw: str) -> str:
    """The 13-digit ISBN written in ``raw``; raise CellError saying what is wrong with it."""
    text = _SEPARATORS.sub("", _PREFIX.sub("", unicodedata.normalize("NFKC", raw).strip())).upper()
    if re.fullmatch(r"[0-9]{9}[0-9X]", text):
        if not _isbn10_valid(text):
            raise CellError("an ISBN with a correct check digit")
        first12 = "978" + text[:9]
        return first12 + _ean_check(first12)
    if not re.fullmatch(r"[0-9]{13}", text):
        raise CellError("an ISBN of 10 or 13 digits")
    if not text.startswith(("978", "979")):
        raise CellError("an ISBN starting with 978 or 979")
    if _ean_check(text[:12]) != text[12]:
        raise CellError("an ISBN with a correct check digit")
    return text


def isbn13_or_none(raw: str) -> str | None:
    """The ISBN-13 in ``raw`` if it is a valid ISBN, else None (for "is this barcode an ISBN?")."""
    try:
        return isbn13(raw)
    except CellError:
        return None
