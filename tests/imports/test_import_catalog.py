"""The CSV catalogue: one row a copy; copies known only by ISBN are numbered, not duplicates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.core.models import Copy, LoanType
from kiosk.imports import parse_catalog, read_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "kiosk" / "sample"


def test_the_example_catalogue_imports_every_copy_without_errors() -> None:
    result = read_catalog(EXAMPLES / "catalog.csv")
    assert result.errors == ()
    assert len(result.items) == 34
    assert result.items[0] == Copy(
        barcode="0001001",
        title="中华上下五千年",
        isbn="9787178128651",
        author="林汉达",
        category="K209",
        price=Decimal("13.50"),
    )
    dictionary = next(copy for copy in result.items if copy.title.startswith("新华字典"))
    assert dictionary.loan_type is LoanType.REFERENCE
    journey = next(copy for copy in result.items if copy.title == "西游记(少儿版)")
    assert (journey.barcode, journey.isbn_only, journey.label) == (
        "9787419254125#1",
        True,
        "9787419254125",
    )


HEADER = "barcode,isbn,title,author,category,loan,price\n"


def test_copies_known_only_by_isbn_are_numbered_in_file_order() -> None:
    rows = [
        ",978-7-04-999622-8,小王子,,,,",  # empty barcode, ISBN given
        "9787049996228,,小王子,,,,",  # the ISBN in the barcode column
        "9787049996228,9787049996228,小王子,,,,",
        "7-04-999622-X,,小王子,,,,",  # the same book's ISBN-10
        "0001002,9787049996228,小王子,,,,",  # a copy with its own barcode
        ",9787218401102,格林童话,,,,",
    ]
    result = parse_catalog((HEADER + "\n".join(rows)).encode(), "c.csv")
    assert result.errors == ()
    assert [(copy.barcode, copy.isbn_only) for copy in result.items] == [
        ("9787049996228#1", True),
        ("9787049996228#2", True),
        ("9787049996228#3", True),
        ("9787049996228#4", True),
        ("0001002", False),
        ("9787218401102#1", True),
    ]
    assert {copy.label for copy in result.items[:4]} == {"9787049996228"}


def test_chinese_headers_gb18030_and_prices_with_currency() -> None:
    text = "条码号,ISBN,题名,作者,分类号,流通类型,定价\n"
    text += "A1,,新华字典,语言研究所,H163,工具书,￥75\n"
    text += "A2,,成语词典,,H136,阅览,12.5元\n"
    text += "A3,,草房子,曹文轩,I287.45,外借,\n"
    result = parse_catalog(text.encode("gb18030"), "书目.csv")
    assert result.errors == ()
    assert [(c.loan_type, c.price) for c in result.items] == [
        (LoanType.REFERENCE, Decimal("75.00")),
        (LoanType.REFERENCE, Decimal("12.50")),
        (LoanType.LOAN, None),
    ]


def test_the_responsible_person_column_may_be_called_either_name() -> None:
    for header in ("责任者", "作者"):
        text = f"条码号,题名,{header}\nA1,草房子,曹文轩\n"
        assert parse_catalog(text.encode(), "c.csv").items[0].author == "曹文轩"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "0001,9787049996229,小王子,,,,",
            'c.csv:2: isbn: expected an ISBN with a correct check digit, found "9787049996229"',
        ),
        (
            "0001,7-04-999622-1,小王子,,,,",
            'c.csv:2: isbn: expected an ISBN with a correct check digit, found "7-04-999622-1"',
        ),
        (
            "0001,97870499962,小王子,,,,",
            'c.csv:2: isbn: expected an ISBN of 10 or 13 digits, found "97870499962"',
        ),
        (
            "0001,9771234567003,杂志,,,,",
            'c.csv:2: isbn: expected an ISBN starting with 978 or 979, found "9771234567003"',
        ),
        ("0001,,,,,,", "c.csv:2: title: expected a title, found nothing"),
        (
            ",,小王子,,,,",
            "c.csv:2: barcode: expected a barcode, or an ISBN in the isbn column, found nothing",
        ),
        (
            "00 01,,小王子,,,,",
            "c.csv:2: barcode: expected a barcode without spaces or control characters, found "
            '"00 01"',
        ),
        (
            "0#01,,小王子,,,,",
            "c.csv:2: barcode: expected a barcode without # (it marks copies known by ISBN), "
            'found "0#01"',
        ),
        (
            "9.78705E+12,,小王子,,,,",
            "c.csv:2: barcode: expected a barcode written out in full (format the column as "
            'text in Excel), found "9.78705E+12"',
        ),
        (
            "0001,,小王子,,,lend,",
            'c.csv:2: loan: expected loan (外借) or reference (阅览, 工具书), found "lend"',
        ),
        (
            "0001,,小王子,,,,-1",
            "c.csv:2: price: expected a price such as 12.50 (not negative, at most 2 decimals), "
            'found "-1"',
        ),
        (
            "0001,,小王子,,,,1.234",
            "c.csv:2: price: expected a price such as 12.50 (not negative, at most 2 decimals), "
            'found "1.234"',
        ),
        (
            "0001,,小王子,,,,NaN",
            "c.csv:2: price: expected a price such as 12.50 (not negative, at most 2 decimals), "
            'found "NaN"',
        ),
        (
            "0001,,小王子,,,,$5",
            "c.csv:2: price: expected a price such as 12.50 (not negative, at most 2 decimals), "
            'found "$5"',
        ),
    ],
)
def test_a_bad_row_is_reported_and_the_good_rows_kept(row: str, error: str) -> None:
    text = HEADER + row + "\nB1,,草房子,,,,\n"
    result = parse_catalog(text.encode(), "c.csv")
    assert [str(e) for e in result.errors] == [error]
    assert [copy.barcode for copy in result.items] == ["B1"]


def test_a_real_duplicate_barcode_is_an_error_on_the_later_row() -> None:
    text = HEADER + "0001,,小王子,,,,\n0002,,草房子,,,,\n0001,,稻草人,,,,\n"
    result = parse_catalog(text.encode(), "c.csv")
    assert [str(e) for e in result.errors] == [
        'c.csv:4: barcode: expected a barcode not already on line 2, found "0001"'
    ]
    assert [copy.title for copy in result.items] == ["小王子", "草房子"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "isbn,author\n",
            'c.csv:1: header: expected a header with columns title (题名), found "isbn,author"',
        ),
        (
            "title,author\n",
            "c.csv:1: header: expected a header with columns barcode (条码号) or isbn (ISBN), "
            'found "title,author"',
        ),
    ],
)
def test_a_missing_required_column_is_one_error_for_the_file(text: str, error: str) -> None:
    result = parse_catalog((text + "x,y\n").encode(), "c.csv")
    assert [str(e) for e in result.errors] == [error]
