"""Imported text is bounded by what sync protocol v1 carries (kiosk.core.bounds): a row over a
bound is a row error naming its line, its column and the bound, and the other rows import. What
an importer takes is then always something every kiosk's pull can carry."""

from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Record, Subfield

from kiosk.core import bounds
from kiosk.imports import parse_catalog, parse_roster
from sync.protocol import WireCopy, WireReader

BLANK = Indicators(" ", " ")


def test_a_given_name_longer_than_a_pull_carries_is_a_row_error() -> None:
    long_name = "M" * (bounds.READER_NAME_CHARS + 2)
    roster = f"card,name,class\n1,{long_name},3-2\n2,{'M' * bounds.READER_NAME_CHARS},3-2\n"
    result = parse_roster(roster.encode(), "r.csv")
    assert [str(e).split(", found")[0] for e in result.errors] == [
        "r.csv:2: name: expected a name whose given name has at most 40 characters"
        " (this one has 42)"
    ]
    assert [r.card for r in result.items] == ["2"]  # exactly at the bound: fine
    reader = result.items[0]
    WireReader(
        card=reader.card,
        given_name=reader.given_name,
        role=reader.role.value,
        class_name=str(reader.class_name),
        grade=reader.grade,
        active=True,
        deleted=False,
        revision=1,
    )  # what the server sends of it fits


def test_a_long_full_name_with_a_short_given_name_is_fine() -> None:
    # A Uyghur name written in full: the kiosk keeps the given name, the first part.
    full = "阿依努尔·" + "买" * 60
    result = parse_roster(f"card,name,class\n1,{full},3-2\n".encode(), "r.csv")
    assert result.ok and result.items[0].given_name == "阿依努尔"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("title", "书" * 401, "a title of at most 400 characters (this one has 401)"),
        ("author", "者" * 401, "an author of at most 400 characters (this one has 401)"),
        ("category", "I" * 65, "a category of at most 64 characters (this one has 65)"),
        ("price", "1234567890.00", "a price of at most 9 digits before the point"),
    ],
)
def test_catalogue_text_longer_than_a_pull_carries_is_a_row_error(
    column: str, value: str, expected: str
) -> None:
    row = {"barcode": "0001", "title": "小王子", "author": "", "category": "", "price": ""}
    good = {**row, "barcode": "0002"}
    row[column] = value
    header = ",".join(row)
    data = "\n".join([header, ",".join(row.values()), ",".join(good.values())]) + "\n"
    result = parse_catalog(data.encode(), "c.csv")
    assert [(e.line, e.column, e.expected) for e in result.errors] == [(2, column, expected)]
    assert [c.barcode for c in result.items] == ["0002"]


def test_at_the_bounds_a_copy_fits_a_pull() -> None:
    row = ["0001", "书" * 400, "者" * 400, "I" * 64, "999999999.99"]
    data = "barcode,title,author,category,price\n" + ",".join(row) + "\n"
    result = parse_catalog(data.encode(), "c.csv")
    assert result.ok
    c = result.items[0]
    WireCopy(
        barcode=c.barcode,
        isbn=c.isbn,
        title=c.title,
        author=c.author,
        category=c.category,
        loan_type=c.loan_type.value,
        price=str(c.price),
        isbn_only=c.isbn_only,
        active=True,
        deleted=False,
        revision=1,
    )


def test_a_marc_title_longer_than_a_pull_carries_is_a_record_error() -> None:
    def record(title: str, barcode: str) -> bytes:
        fields = [
            Field("245", BLANK, [Subfield("a", title)]),
            Field("952", BLANK, [Subfield("p", barcode)]),
        ]
        return Record(fields=[Field("001", data="rec"), *fields]).as_marc()

    data = record("书" * 401, "0001") + record("小王子", "0002")
    result = parse_catalog(data, "c.mrc")
    assert [(e.line, e.column, e.expected) for e in result.errors] == [
        (1, "245$a", "a title of at most 400 characters (this one has 401)")
    ]
    assert [c.barcode for c in result.items] == ["0002"]
