"""CSV as schools save it (UTF-8 with or without BOM, GB18030 from Excel, any newline) into rows."""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kiosk.core.classes import ClassNameError
from kiosk.imports.cells import CellError
from kiosk.imports.errors import RowError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "Column",
    "Row",
    "RowCheck",
    "Table",
    "decode",
    "read_table",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a school's catalogue is a few MB; more is the wrong file
MAX_LINE_CHARS = 10_000  # a row of a roster or catalogue is a few hundred characters
_HEADER_SEARCH_ROWS = 10  # Excel exports often put a title row or two above the header

V = TypeVar("V")
_Record = tuple[int, list[str]]  # start line, cells
_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls (OLE) files


@dataclass(frozen=True)
class Column:
    """A column an importer reads, with every header name a school may give it."""

    key: str
    names: tuple[str, ...]  # in the form _header_key() gives them

    @property
    def label(self) -> str:
        """How messages name the column: ``card (借书证号)``."""
        return f"{self.names[0]} ({self.names[1]})" if len(self.names) > 1 else self.names[0]


@dataclass(frozen=True)
class Row:
    line: int  # physical line where the row starts, 1-based
    cells: dict[str, str]  # column key -> cell text, "" when the column is absent or short


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    errors: tuple[RowError, ...]
    headers: dict[str, str]  # column key -> its header as the file writes it, for messages

    def header(self, key: str) -> str:
        return self.headers.get(key, key)


def _line_of(text: str, index: int) -> int:
    return len(_NEWLINE.findall(text, 0, index)) + 1


def _line_text(text: str, index: int) -> str:
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return _NEWLINE.split(text[start : start + 200], maxsplit=1)[0]


def decode(data: bytes, file: str) -> str | RowError:
    """The text of a CSV file, or the one error saying why it is not one."""

    def bad(line: int, expected: str, found: str) -> RowError:
        return RowError(file, line, "file", expected, found)

    if len(data) > MAX_FILE_BYTES:
        return bad(1, f"a file under {MAX_FILE_BYTES >> 20} MB", f"{len(data)} bytes")
    if data.startswith(_WORKBOOKS):
        return bad(
            1,
            "a CSV file (in Excel: Save As, CSV UTF-8)",
            data[:16].decode("utf-8", "surrogateescape"),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8",)
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)  # Excel's "Unicode Text"
    else:
        encodings = ("utf-8", "gb18030")
    text: str | None = None
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            failure = failure or exc
            if encoding == "utf-8" and _HAN.search(data[: exc.start].decode("utf-8")):
                break  # Chinese in UTF-8 before the bad byte: a damaged UTF-8 file, not GB18030
    if text is None:
        assert failure is not None, "every encoding failed"
        at = failure.start
        line = len(_NEWLINE_BYTES.findall(data, 0, at)) + 1
        start = max(data.rfind(b"\n", 0, at), data.rfind(b"\r", 0, at)) + 1
        snippet = data[start : at + 8].decode("utf-8", "surrogateescape")
        return bad(line, "text in UTF-8 or GB18030", snippet)
    if (nul := text.find("\x00")) >= 0:
        return bad(_line_of(text, nul), "text without NUL characters", _line_text(text, nul))
    return text


def _header_key(cell: str) -> str:
    # "Card", " 借书证号 ", "*姓名" (required-column mark of Excel templates) all name a column.
    return "".join(unicodedata.normalize("NFKC", cell).casefold().split()).strip("*")


def _physical_lines(text: str, file: str, errors: list[RowError]) -> list[str]:
    """The lines of the text, each overlong one blanked and reported so line numbers still hold."""
    lines = _NEWLINE.split(text)
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            expected = f"a line of at most {MAX_LINE_CHARS} characters"
            errors.append(RowError(file, number, "row", expected, line[:100]))
            lines[number - 1] = ""
    return lines


def _records(
    lines: list[str], file: str, errors: list[RowError]
) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) of each non-blank record."""
    first = next((line for line in lines if line), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field over the csv module's size limit, from a quote left open
            expected = "a CSV row whose quotes are closed"
            errors.append(RowError(file, start, "row", expected, lines[start - 1]))
            cells = []
        end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _header_names(cells: list[str], columns: Sequence[Column]) -> dict[str, tuple[int, str]]:
    """Column key -> (position, header as written) for the cells naming a known column."""
    by_name = {name: column.key for column in columns for name in column.names}
    found: dict[str, tuple[int, str]] = {}
    for position, cell in enumerate(cells):
        key = by_name.get(_header_key(cell))
        if key is not None and key not in found:  # a second "author" column is ignored
            written = cell.strip()
            found[key] = (position, written if written.isprintable() else key)
    return found


def read_table(
    data: bytes, file: str, columns: Sequence[Column], required: Sequence[Sequence[str]]
) -> Table:
    """The rows of a CSV file under its header, which may follow a title row or two.

    ``required`` lists groups of column keys; the header must have a column of each group.
    """
    text = decode(data, file)
    if isinstance(text, RowError):
        return Table((), (text,), {})
    errors: list[RowError] = []
    records = _records(_physical_lines(text, file, errors), file, errors)
    labels = {column.key: column.label for column in columns}

    def missing(found: Mapping[str, object]) -> list[str]:
        return [
            " or ".join(labels[k] for k in group)
            for group in required
            if not found.keys() & set(group)
        ]

    header: tuple[int, dict[str, tuple[int, str]]] | None = None
    first: tuple[int, list[str], dict[str, tuple[int, str]]] | None = None
    for line, cells in itertools.islice(records, _HEADER_SEARCH_ROWS):
        found = _header_names(cells, columns)
        if not missing(found):
            header = line, found
            break
        first = first or (line, cells, found)
    if header is None:
        line, cells, found = first or (1, [], {})
        expected = "a header with columns " + ", ".join(missing(found))
        errors.append(RowError(file, line, "header", expected, ",".join(cells)))
        return Table((), tuple(errors), {})
    line, found = header
    rows = []
    for start, cells in records:
        values = {key: cells[pos] if pos < len(cells) else "" for key, (pos, _) in found.items()}
        broken = [key for key, value in values.items() if "\n" in value]
        for key in broken:
            expected = "a value on one line (is a closing quote missing?)"
            errors.append(RowError(file, start, found[key][1], expected, values[key]))
        if not broken:
            rows.append(Row(start, values))
    if not rows and not errors:
        errors.append(RowError(file, line + 1, "file", "rows below the header", ""))
    return Table(tuple(rows), tuple(errors), {key: written for key, (_, written) in found.items()})


class RowCheck:
    """Reads the cells of one row, keeping an error for each bad one."""

    def __init__(self, table: Table, row: Row, file: str) -> None:
        self.table, self.row, self.file = table, row, file
        self.errors: list[RowError] = []

    def fail(self, key: str, expected: str) -> None:
        column = self.table.header(key)
        found = self.row.cells.get(key, "")
        self.errors.append(RowError(self.file, self.row.line, column, expected, found))

    def take(self, key: str, parse: Callable[[str], V]) -> V | None:
        try:
            return parse(self.row.cells.get(key, ""))
        except (CellError, ClassNameError) as exc:
            self.fail(key, exc.expected)
            return None
