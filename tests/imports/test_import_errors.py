"""Row errors read as file:line: column: expected ..., found "...", safe to print."""

from __future__ import annotations

import pytest

from kiosk.imports import RowError, parse_roster


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            RowError("roster.csv", 4, "class", "a class such as 3-2", "三班"),
            'roster.csv:4: class: expected a class such as 3-2, found "三班"',
        ),
        (
            RowError("roster.csv", 7, "name", "a name", ""),
            "roster.csv:7: name: expected a name, found nothing",
        ),
        (
            RowError("books.mrc", 3, "245$a", "a title", "", unit="record"),
            "books.mrc:record 3: 245$a: expected a title, found nothing",
        ),
        (
            RowError("r.csv", 2, "name", "a name", 'a\tb\nc\x00d"e\\f'),
            'r.csv:2: name: expected a name, found "a\\tb\\nc\\x00d\\"e\\\\f"',
        ),
        (
            # A bidi override could make a terminal or web page show the text reversed.
            RowError("r.csv", 2, "name", "a name", "abc\u202edef"),
            'r.csv:2: name: expected a name, found "abc\\u202edef"',
        ),
        (
            RowError("r.csv", 2, "title", "a title", "长" * 100),
            'r.csv:2: title: expected a title, found "' + "长" * 40 + '…"',
        ),
    ],
)
def test_an_error_prints_as_file_line_column_expected_found(error: RowError, text: str) -> None:
    assert str(error) == text


def test_an_error_keeps_only_a_bounded_part_of_a_huge_value() -> None:
    error = RowError("r.csv", 2, "row", "a short line", "x" * 10_000_000)
    assert len(error.found) <= 200
    assert str(error).endswith('found "' + "x" * 40 + '…"')


def test_a_result_says_where_each_item_came_from() -> None:
    result = parse_roster("card,name,class\n1,李明,3-2\n2,,3-2\n\n3,王芳,3-1\n".encode(), "r.csv")
    assert [reader.card for reader in result.items] == ["1", "3"]
    assert result.lines == (2, 5)  # the blank line 4 is not a row
    assert [error.line for error in result.errors] == [3]
    assert not result.ok and result.key_column == "card"


def test_an_error_can_name_the_other_row_it_clashes_with() -> None:
    error = RowError("r.csv", 9, "借书证号", "a card number", "0001003", note="already a barcode")
    assert (
        str(error)
        == 'r.csv:9: 借书证号: expected a card number, found "0001003" (already a barcode)'
    )
