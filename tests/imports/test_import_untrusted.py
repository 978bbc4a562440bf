"""Whatever bytes arrive as a roster or catalogue, the answer is errors with lines, not a crash."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.imports import parse_catalog, parse_roster

GOOD = "card,name,class\n1,李明,3-2\n"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            b"",
            "r.csv:1: header: expected a header with columns card (借书证号), name (姓名), "
            "class (班级), found nothing",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            'r.csv:3: file: expected text without NUL characters, found "\\x00\\x00\\x00"',
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "r.csv:1: file: expected a CSV file (in Excel: Save As, CSV UTF-8), found "
            '"PK\\x03\\x04\\x14\\x00\\x06\\x00"',
        ),
        (
            b"card,name,class\n1,\x00,3-2\n",
            'r.csv:2: file: expected text without NUL characters, found "1,\\x00,3-2"',
        ),
        (
            b"card,name,class\n1,\x80\xff,3-2\n",
            'r.csv:2: file: expected text in UTF-8 or GB18030, found "1,\\x80\\xff,3-2\\n"',
        ),
        (
            b"\xef\xbb\xbfcard,name,class\n1,\xd6\xd0,3-2\n",
            'r.csv:2: file: expected text in UTF-8 or GB18030, found "1,\\xd6\\xd0,3-2\\n"',
        ),
        (
            # UTF-8 Chinese, then a damaged character: not to be read as GB18030 mojibake.
            "card,name,class\n1,李明,3-2\n2,王".encode() + b"\xe6\x98,3-2\n",
            'r.csv:3: file: expected text in UTF-8 or GB18030, found "2,王\\xe6\\x98,3-2\\n"',
        ),
    ],
)
def test_files_that_are_not_csv_text_give_one_clear_error(data: bytes, error: str) -> None:
    result = parse_roster(data, "r.csv")
    assert [str(e) for e in result.errors] == [error]
    assert result.items == ()


def test_a_ten_megabyte_line_is_one_error_and_the_other_rows_import() -> None:
    data = (GOOD + "2," + "长" * 10_000_000 + ",3-2\n3,张明,3-1\n").encode()
    result = parse_roster(data, "r.csv")
    assert [str(e) for e in result.errors] == [
        'r.csv:3: row: expected a line of at most 10000 characters, found "2,' + "长" * 38 + '…"'
    ]
    assert [reader.card for reader in result.items] == ["1", "3"]


def test_a_quote_left_open_is_reported_where_its_row_starts() -> None:
    rows = "".join(f"{card},王明,3-1\n" for card in range(4, 100))
    result = parse_roster((GOOD + '2,"张明,3-1\n' + rows).encode(), "r.csv")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(
        "r.csv:3: name: expected a value on one line (is a closing quote missing?), "
        'found "张明,3-1\\n4,王明'
    )
    assert [reader.card for reader in result.items] == ["1"]


def test_a_quote_left_open_beyond_the_csv_field_limit_is_reported_where_its_row_starts() -> None:
    rows = "".join(f"{card},王明,3-1\n" for card in range(4, 20_000))
    result = parse_roster((GOOD + '2,"张明,3-1\n' + rows).encode(), "r.csv")
    assert str(result.errors[0]) == (
        'r.csv:3: row: expected a CSV row whose quotes are closed, found "2,\\"张明,3-1"'
    )


HEADERS = st.sampled_from(
    [
        b"",
        b"card,name,class\n",
        b"\xef\xbb\xbfbarcode,isbn,title\r\n",
        "条码号,题名\n".encode("gb18030"),
    ]
)
CSV_BYTES = st.binary(max_size=400) | st.text(
    alphabet=string.printable + '",\r\n\x00李明三年级（2）班￥', max_size=400
).map(lambda text: text.encode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(header=HEADERS, body=CSV_BYTES)
def test_arbitrary_bytes_never_raise_and_every_error_names_a_line(
    header: bytes, body: bytes
) -> None:
    data = header + body
    last_line = data.count(b"\n") + data.count(b"\r") + 1  # an upper bound whatever the newlines
    for result in (parse_roster(data, "x.csv"), parse_catalog(data, "x.csv")):
        assert all(1 <= error.line <= last_line for error in result.errors)
        assert all(str(error).startswith("x.csv:") for error in result.errors)
        # Every item says which line it came from; no line is both imported and rejected.
        assert len(result.lines) == len(result.items)
        assert all(2 <= line <= last_line for line in result.lines)
        rejected = {e.line for e in result.errors if e.column not in ("file", "header")}
        assert rejected.isdisjoint(result.lines)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_that_look_like_marc_never_raise(body: bytes) -> None:
    result = parse_catalog(b"00123nam  22" + body + b"\x1d" + body, "x.mrc")
    assert result.errors
    assert all(error.line >= 1 for error in result.errors)
