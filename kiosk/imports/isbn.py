"""ISBN cells of an imported file: the core's ISBN check, with its reason as a cell error."""

from __future__ import annotations

from kiosk.core.isbn import IsbnError, parse_isbn
from kiosk.core.isbn import isbn13 as isbn13_or_none
from kiosk.imports.cells import CellError

__all__ = ["isbn13", "isbn13_or_none"]


def isbn13(raw: str) -> str:
    """The 13-digit ISBN written in ``raw``; raise CellError saying what is wrong with it."""
    try:
        return parse_isbn(raw)
    except IsbnError as exc:
        raise CellError(exc.expected) from None
