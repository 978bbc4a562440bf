"""The catalogue as CSV, one physical copy a row, read into Copy values."""

from __future__ import annotations

from kiosk.core.isbn import isbn13
from kiosk.core.models import Copy
from kiosk.imports import cells
from kiosk.imports.cells import CellError
from kiosk.imports.copies import ISBN_COPY_MARK, CopiesInFile
from kiosk.imports.csvtext import Column, RowCheck, read_table
from kiosk.imports.errors import ImportResult

__all__ = ["COLUMNS", "accession_barcode", "parse_catalog_csv"]

COLUMNS = (
    Column("barcode", ("barcode", "条码号", "条码", "条形码")),
    Column("isbn", ("isbn", "ISBN", "国际标准书号")),
    Column("title", ("title", "题名", "书名")),
    Column("author", ("author", "责任者", "作者")),
    Column("category", ("category", "分类号")),
    Column("loan", ("loan", "流通类型")),
    Column("price", ("price", "定价")),
)
_REQUIRED = (("title",), ("barcode", "isbn"))


def accession_barcode(raw: str) -> str:
    """A copy's own barcode; raise CellError saying what is wrong with it."""
    barcode = cells.code(raw, "a barcode")
    if ISBN_COPY_MARK in barcode:
        raise CellError(f"a barcode without {ISBN_COPY_MARK} (it marks copies known by ISBN)")
    return barcode


def _optional_isbn(raw: str) -> str | None:
    return cells.isbn(raw) if raw.strip() else None


def _copy(check: RowCheck) -> Copy | None:
    """The copy of one row, with barcode "" if it is known only by its ISBN."""
    raw_barcode = check.row.cells.get("barcode", "").strip()
    isbn = check.take("isbn", _optional_isbn)
    # The ISBN in the barcode column (the only barcode on the book) makes an ISBN-only copy.
    barcode_isbn = isbn13(raw_barcode) if raw_barcode else None
    isbn_only = not raw_barcode or (barcode_isbn is not None and isbn in (None, barcode_isbn))
    barcode = "" if isbn_only else check.take("barcode", accession_barcode)
    isbn = isbn or barcode_isbn
    title = check.take("title", cells.title)
    author = check.take("author", cells.author)
    category = check.take("category", cells.category)
    loan_type = check.take("loan", cells.loan_type)
    price = check.take("price", cells.price)
    if isbn_only and isbn is None and not check.errors:
        check.fail("barcode", "a barcode, or an ISBN in the isbn column")
    if check.errors or barcode is None or title is None or loan_type is None:
        return None
    return Copy(
        barcode=barcode,
        title=title,
        isbn=isbn,
        author=author or "",
        category=category or "",
        loan_type=loan_type,
        price=price,
        isbn_only=isbn_only,
    )


def parse_catalog_csv(data: bytes, file: str) -> ImportResult[Copy]:
    """The copies of a CSV catalogue's bytes, and an error for each row left out."""
    table = read_table(data, file, COLUMNS, _REQUIRED)
    in_file = CopiesInFile(file)
    errors = list(table.errors)
    for row in table.rows:
        check = RowCheck(table, row, file)
        copy = _copy(check)
        errors.extend(check.errors)
        if copy is not None and (duplicate := in_file.add(copy, row.line, table.header("barcode"))):
            errors.append(duplicate)
    errors.sort(key=lambda error: error.line)
    return ImportResult(
        tuple(in_file.copies), tuple(errors), file, tuple(in_file.lines), table.header("barcode")
    )
