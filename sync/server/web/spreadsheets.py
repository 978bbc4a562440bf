"""Excel workbooks (.xlsx) of the weekly numbers, by openpyxl, the only importer of it.

Written in openpyxl's write-only mode, row by row, into memory: a school's numbers are a few
thousand rows at most.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


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
    # A name or title from an imported file is text, never a formula; and a control character
    # an older version let into the database is no reason to fail the whole workbook (openpyxl
    # refuses the cell): it is written as the replacement character.
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return "'" + text if text[:1] == "=" else text
