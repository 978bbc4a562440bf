"""What an import returns: the good values and one RowError per thing wrong in the file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

__all__ = ["ImportResult", "RowError", "shown"]

T = TypeVar("T")

_SHOWN_CHARS = 40
# Enough of the input to show, without keeping a 10 MB line alive inside an error.
_KEPT_CHARS = 4 * _SHOWN_CHARS


@dataclass(frozen=True)
class RowError:
    """One problem, printed as ``file:line: column: expected ..., found "..."``.

    ``line`` is the physical line where the row starts (1-based, the header is line 1); for MARC
    files ``unit`` is "record" and ``line`` the record's number. ``found`` is the text as read;
    it is escaped and shortened when printed, because it comes from an untrusted file.
    """

    file: str
    line: int
    column: str
    expected: str
    found: str
    unit: Literal["line", "record"] = "line"
    note: str = ""  # e.g. which other row already has this code

    def __post_init__(self) -> None:
        if len(self.found) > _KEPT_CHARS:
            object.__setattr__(self, "found", self.found[:_KEPT_CHARS])

    def __str__(self) -> str:
        where = f"record {self.line}" if self.unit == "record" else str(self.line)
        found = "nothing" if self.found == "" else shown(self.found)
        note = f" ({self.note})" if self.note else ""
        return f"{self.file}:{where}: {self.column}: expected {self.expected}, found {found}{note}"


@dataclass(frozen=True)
class ImportResult(Generic[T]):
    """The values read from ``file`` and the errors of the rows that were left out."""

    items: tuple[T, ...]
    errors: tuple[RowError, ...]
    file: str
    lines: tuple[int, ...] = ()  # where each item is in the file (line, or record for MARC)
    key_column: str = ""  # the file's name for the column of each item's code

    @property
    def ok(self) -> bool:
        return not self.errors


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    # Control, format (bidi overrides) and separator characters could hide or reorder text
    # on a terminal or a web page; show their code instead.
    if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not text, kept by "surrogateescape"
            return f"\\x{code - 0xDC00:02x}"
        if code < 0x100:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return char


def shown(text: str, limit: int = _SHOWN_CHARS) -> str:
    """``text`` quoted for a message: control characters escaped, cut to about ``limit``."""
    out: list[str] = []
    length = 0
    for char in text:
        piece = _escaped(char)
        if length + len(piece) > limit:
            out.append("…")
            break
        out.append(piece)
        length += len(piece)
    return '"' + "".join(out) + '"'
