"""Excel workbooks (.xlsx) of the weekly numbers, by openpyxl, the only importer of it.

Written in openpyxl's write-only mode, row by row, into memory: a school's numbers are a few
thousand rows at most.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """An .xlsx with one sheet per (title, header, rows)."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
        sheet.append(list(header))
        for row in rows:
            sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: object) -> object:
    # A name or title from an imported file is text, never a formula.
    if isinstance(value, str) and value[:1] == "=":
        return "'" + value
    return value
