"""Barcodes of one catalogue file's copies: each accession barcode once, ISBN-only ones numbered."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Literal

from kiosk.core.models import Copy
from kiosk.imports.errors import RowError

__all__ = ["ISBN_COPY_MARK", "CopiesInFile"]

# "<ISBN13>#<n>": the n-th copy of a book known only by the ISBN printed on its cover.
ISBN_COPY_MARK = "#"


class CopiesInFile:
    """The copies of a file in file order; the first row with a barcode keeps it."""

    def __init__(self, file: str, unit: Literal["line", "record"] = "line") -> None:
        self.file, self.unit = file, unit
        self.copies: list[Copy] = []
        self.lines: list[int] = []  # where each of ``copies`` is in the file
        self._where: dict[str, int] = {}  # barcode -> line or record that has it
        self._per_isbn: Counter[str] = Counter()

    def add(self, copy: Copy, where: int, column: str) -> RowError | None:
        """Add ``copy``; an ISBN-only copy (``isbn_only``) gets the next ``<ISBN>#n``.

        Return the error if its accession barcode was already on an earlier line or record.
        """
        if copy.isbn_only:
            assert copy.isbn is not None, "an ISBN-only copy has an ISBN"
            self._per_isbn[copy.isbn] += 1
            barcode = f"{copy.isbn}{ISBN_COPY_MARK}{self._per_isbn[copy.isbn]}"
            copy = dataclasses.replace(copy, barcode=barcode)
        elif copy.barcode in self._where:
            expected = f"a barcode not already on {self.unit} {self._where[copy.barcode]}"
            return RowError(self.file, where, column, expected, copy.barcode, self.unit)
        self._where[copy.barcode] = where
        self.copies.append(copy)
        self.lines.append(where)
        return None
