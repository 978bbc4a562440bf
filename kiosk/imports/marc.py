"""Catalogue records in ISO 2709 (MARC 21, UNIMARC/CNMARC) read into Copy values with pymarc."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kiosk.core import bounds
from kiosk.core.isbn import isbn13
from kiosk.core.models import Copy, LoanType
from kiosk.imports import cells
from kiosk.imports.catalog import accession_barcode
from kiosk.imports.cells import CellError
from kiosk.imports.copies import CopiesInFile
from kiosk.imports.errors import ImportResult, RowError

if TYPE_CHECKING:
    from pymarc import Record

__all__ = ["MarcUnavailableError", "parse_marc"]

RECORD_END = b"\x1d"
_Where = tuple[str, str]  # (tag, subfield code)
_Field = tuple[str, tuple[tuple[str, str], ...]]  # tag, (code, text) of each subfield


class MarcUnavailableError(RuntimeError):
    """pymarc, the optional dependency for MARC files, is not installed."""


@dataclass(frozen=True)
class _Flavour:
    """Where one MARC format keeps what a Copy needs, in the order to look."""

    name: str
    title: _Where
    title_more: str  # subfields of the title field that belong to the title (parts, subtitle)
    authors: tuple[_Where, ...]
    isbn: _Where
    prices: tuple[_Where, ...]
    categories: tuple[_Where, ...]
    holdings: tuple[_Where, ...]  # the copy barcode of each holdings field
    item_types: dict[str, str]  # holdings tag -> subfield with the item type (REF, 工具书)


MARC21 = _Flavour(
    name="MARC 21",
    title=("245", "a"),
    title_more="bnp",
    authors=(("100", "a"), ("110", "a"), ("111", "a"), ("245", "c"), ("700", "a")),
    isbn=("020", "a"),
    prices=(("020", "c"), ("365", "b")),
    categories=(("084", "a"), ("082", "a"), ("050", "a")),  # 084 holds 中图法 in Chinese MARC 21
    holdings=(("952", "p"), ("852", "p"), ("876", "p"), ("949", "a")),  # Koha, standard, local
    item_types={"952": "y"},
)
UNIMARC = _Flavour(
    name="UNIMARC",
    title=("200", "a"),
    title_more="ehi",
    authors=(("701", "a"), ("700", "a"), ("702", "a"), ("711", "a"), ("200", "f")),
    isbn=("010", "a"),
    prices=(("010", "d"),),
    categories=(("690", "a"), ("686", "a"), ("676", "a"), ("675", "a")),  # 690: CNMARC 中图法
    holdings=(("995", "f"), ("905", "b")),  # Koha UNIMARC, Chinese library systems
    item_types={"995": "r"},
)
_REFERENCE_TYPES = {"ref", "reference", "工具书", "阅览", "参考书"}
_ISBD_END = " /:;,=."  # ISBD punctuation that ends a subfield before the next one
_HIGH_PAIR = re.compile(rb"[\x80-\xff]{2}")
_ISBN_WRITTEN = re.compile(r"[0-9Xx][0-9Xx\- ]*[0-9Xx]")  # "978-7-5327-1234-5 (平装)"


def _import_pymarc() -> Callable[..., Record]:
    try:
        # Imported here, not at the top: only a machine that imports MARC files needs pymarc.
        from pymarc import Record
    except ImportError as exc:
        raise MarcUnavailableError(
            "reading MARC files needs pymarc: pip install 'school-library-kiosk[marc]'"
        ) from exc
    return Record


@contextlib.contextmanager
def _pymarc_quiet() -> Iterator[None]:
    """Silence pymarc's notes on oddities it repairs (extra indicators, odd subfield codes).

    They would reach the librarian's terminal as raw bytes; what matters is in our errors.
    """
    logger = logging.getLogger("pymarc")
    hush = logging.Filter("no record passes this filter's name test")
    logger.addFilter(hush)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeFilter(hush)


def _chunks(data: bytes) -> Iterator[tuple[int, bytes, bool]]:
    """(record number, bytes without terminator, whether terminated) of each record."""
    parts = data.split(RECORD_END)
    for number, part in enumerate(parts, start=1):
        chunk = part.lstrip(b"\r\n\t ")  # some systems put a newline after each record
        last = number == len(parts)
        if chunk or not last:
            yield number, chunk, not last


def _structure_error(exc: Exception) -> tuple[str, str]:
    """(column, expected) for a record pymarc could not take apart."""
    name = type(exc).__name__
    if name == "TruncatedRecord":
        return "leader", "a record as long as its leader says"
    if name in {"BaseAddressInvalid", "BaseAddressNotFound"}:
        return "leader", "a leader that says where the record's data starts"
    if name in {"RecordDirectoryInvalid", "NoFieldsFound"}:
        return "directory", "a directory of 12-character field entries"
    return "record", "a well-formed ISO 2709 record"


def _raw(value: object) -> bytes:
    # Read with to_unicode=False, pymarc leaves subfield values as bytes: we pick the encoding.
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _decoder(flavour: _Flavour, leader: str, values: list[bytes]) -> Callable[[bytes], str]:
    """How to decode this record's text: UTF-8, GB18030 (CNMARC in China) or MARC-8."""
    try:
        for value in values:
            value.decode("utf-8")
        return lambda value: value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    blob = b"".join(values)
    # MARC-8 puts one combining byte before an ASCII letter; GB18030 Chinese is pairs of high
    # bytes. A MARC 21 record that does not say UTF-8 and has no high pairs is MARC-8.
    marc8 = b"\x1b" in blob or not _HIGH_PAIR.search(blob)
    if flavour is MARC21 and leader[9:10] != "a" and marc8:
        from pymarc import marc8_to_unicode  # loaded already by _import_pymarc

        return lambda value: str(marc8_to_unicode(value, hide_utf8_warnings=True))
    return lambda value: value.decode("gb18030")


@dataclass(frozen=True)
class _Record:
    """One record's data fields, decoded."""

    flavour: _Flavour
    fields: tuple[_Field, ...]

    @classmethod
    def decoded(cls, record: Record) -> _Record:
        """Raise UnicodeDecodeError if its text is in none of the encodings we know."""
        data = [field for field in record.fields if not field.is_control_field()]
        tags = {field.tag for field in data}
        flavour = MARC21 if "245" in tags or "200" not in tags else UNIMARC
        raw = [(f.tag, [(sub.code, _raw(sub.value)) for sub in f.subfields]) for f in data]
        decode = _decoder(
            flavour, str(record.leader), [value for _, subs in raw for _, value in subs]
        )
        fields = tuple(
            (tag, tuple((code, decode(value).strip()) for code, value in subs)) for tag, subs in raw
        )
        return cls(flavour, fields)

    def values(self, where: _Where, field: _Field | None = None) -> list[str]:
        tag, code = where
        fields = self.fields if field is None else (field,)
        return [text for t, subs in fields if t == tag for c, text in subs if c == code and text]

    def first(self, places: tuple[_Where, ...]) -> tuple[str, _Where]:
        """The first value found in ``places``, and where it was ("" and the first place)."""
        for where in places:
            for value in self.values(where):
                if cleaned := value.strip(_ISBD_END).strip():
                    return cleaned, where
        return "", places[0]

    def title(self) -> str:
        tag, code = self.flavour.title
        for field_tag, subs in self.fields:
            if field_tag != tag:
                continue
            parts: list[str] = []
            for sub_code, text in subs:
                ours = sub_code == code or (parts and sub_code in self.flavour.title_more)
                if ours and (cleaned := text.strip(_ISBD_END).strip()):
                    parts.append(cleaned)
            if parts:
                return " : ".join(parts)
        return ""

    def price(self) -> Decimal | None:
        for where in self.flavour.prices:
            for value in self.values(where):
                try:
                    return cells.price(value.strip(_ISBD_END))
                except CellError:
                    continue  # a price in another currency or with a note is left out
        return None

    def isbn(self) -> tuple[str | None, str, str]:
        """(ISBN-13, expected, found): the first good ISBN, else what is wrong with the first."""
        problem = ("", "")
        for value in self.values(self.flavour.isbn):
            written = _ISBN_WRITTEN.match(value)
            try:
                return cells.isbn(written[0] if written else value), "", ""
            except CellError as exc:
                problem = problem if problem[0] else (exc.expected, value)
        return None, *problem

    def loan_type(self, field: _Field) -> LoanType:
        item_type = self.flavour.item_types.get(field[0])
        types = self.values((field[0], item_type), field) if item_type else []
        if any(value.casefold() in _REFERENCE_TYPES for value in types):
            return LoanType.REFERENCE
        return LoanType.LOAN


def _label(where: _Where) -> str:
    return f"{where[0]}${where[1]}"


def _copies(record: _Record) -> tuple[list[tuple[Copy, str]], list[tuple[str, str, str]]]:
    """The copies of a record with the subfield their barcode came from, and its problems
    as (column, expected, found)."""
    flavour = record.flavour
    title = record.title()
    if not title:
        return [], [(_label(flavour.title), "a title", "")]
    isbn, expected, found = record.isbn()
    if expected:
        return [], [(_label(flavour.isbn), expected, found)]
    author, author_at = record.first(flavour.authors)
    category, category_at = record.first(flavour.categories)
    # What every kiosk's pull can carry (kiosk.core.bounds), as for a CSV catalogue.
    for value, where, what, limit in (
        (title, flavour.title, "a title", bounds.TITLE_CHARS),
        (author, author_at, "an author", bounds.AUTHOR_CHARS),
        (category, category_at, "a category", bounds.CATEGORY_CHARS),
    ):
        try:
            cells.within(value, what, limit)
        except CellError as exc:
            return [], [(_label(where), exc.expected, value)]
    base = Copy(
        barcode="",
        title=title,
        isbn=isbn,
        author=author,
        category=category,
        price=record.price(),
    )
    copies: list[tuple[Copy, str]] = []
    problems: list[tuple[str, str, str]] = []
    for where in flavour.holdings:
        for field in (f for f in record.fields if f[0] == where[0]):
            for raw in record.values(where, field):
                copy = dataclasses.replace(base, loan_type=record.loan_type(field))
                barcode_isbn = isbn13(raw)
                if barcode_isbn is not None and isbn in (None, barcode_isbn):
                    copies.append(
                        (
                            dataclasses.replace(copy, isbn=barcode_isbn, isbn_only=True),
                            _label(where),
                        )
                    )
                    continue
                try:
                    copies.append(
                        (dataclasses.replace(copy, barcode=accession_barcode(raw)), _label(where))
                    )
                except CellError as exc:
                    problems.append((_label(where), exc.expected, raw))
    if not copies and not problems:
        if isbn is None:
            holdings = ", ".join(_label(where) for where in flavour.holdings)
            expected = f"a copy barcode ({holdings}) or an ISBN ({_label(flavour.isbn)})"
            return [], [(_label(flavour.holdings[0]), expected, "")]
        copies.append((dataclasses.replace(base, isbn_only=True), _label(flavour.isbn)))
    return copies, problems


def _read_record(
    record_class: Callable[..., Record], chunk: bytes, terminated: bool
) -> tuple[list[tuple[Copy, str]], list[tuple[str, str, str]]]:
    """Copies and problems of one record, as for _copies; a broken one has a problem only."""
    found = chunk[:60].decode("utf-8", "surrogateescape")
    if not terminated:
        return [], [("record", "a record ending with the record terminator (1D)", found)]
    if len(chunk) < 24 or not chunk[:5].isdigit():
        return [], [("leader", "a 24-character leader starting with the record length", found)]
    try:
        parsed = record_class(chunk + RECORD_END, to_unicode=False)
    except Exception as exc:  # pymarc raises many kinds on bad bytes: all mean "broken"
        return [], [(*_structure_error(exc), found)]
    try:
        record = _Record.decoded(parsed)
    except UnicodeDecodeError:
        return [], [("record", "text in UTF-8, GB18030 or MARC-8", found)]
    return _copies(record)


def parse_marc(data: bytes, file: str) -> ImportResult[Copy]:
    """The copies of an ISO 2709 file's bytes, and an error for each record or copy left out.

    Raise MarcUnavailableError if pymarc is not installed.
    """
    record_class = _import_pymarc()
    in_file = CopiesInFile(file, "record")
    errors: list[RowError] = []
    with _pymarc_quiet():
        read = [(n, _read_record(record_class, c, ended)) for n, c, ended in _chunks(data)]
    for number, (copies, problems) in read:
        for column, expected, found in problems:
            errors.append(RowError(file, number, column, expected, found, "record"))
        for copy, column in copies:
            if duplicate := in_file.add(copy, number, column):
                errors.append(duplicate)
    if not in_file.copies and not errors:
        errors.append(RowError(file, 1, "file", "MARC records", "", "record"))
    return ImportResult(tuple(in_file.copies), tuple(errors), file, tuple(in_file.lines), "barcode")
