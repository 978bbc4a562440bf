"""The roster: the school's file, however saved, becomes readers known by given name only."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.models import ClassName, Reader, ReaderRole
from kiosk.imports import parse_roster, read_roster

EXAMPLES = Path(__file__).resolve().parents[2] / "kiosk" / "sample"
EXAMPLE = (EXAMPLES / "roster.csv").read_text(encoding="utf-8")


def test_the_example_roster_imports_every_reader_without_errors() -> None:
    result = read_roster(EXAMPLES / "roster.csv")
    assert result.errors == ()
    assert len(result.items) == 38
    assert result.items[0] == Reader(
        card="202610101",
        given_name="明安",
        role=ReaderRole.STUDENT,
        class_name=ClassName(1, 1),
        grade=1,
    )
    teacher = result.items[-1]
    assert (teacher.card, teacher.role, teacher.class_name) == ("T0002", ReaderRole.TEACHER, None)


def test_no_full_name_of_a_child_survives_the_import() -> None:
    result = parse_roster(EXAMPLE.encode(), "roster.csv")
    surnames = {line.split(",")[1] for line in EXAMPLE.splitlines()[1:] if "student" in line}
    assert all(reader.given_name not in surnames for reader in result.items)
    assert all(len(reader.given_name) == 2 for reader in result.items[:-2])


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: text.encode("utf-8-sig"), id="utf-8 with BOM"),
        pytest.param(lambda text: text.encode("gb18030"), id="gb18030"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode("gb18030"), id="gb18030 CRLF"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode("utf-8-sig"), id="BOM CRLF"),
        pytest.param(lambda text: text.replace("\n", "\r").encode("utf-8"), id="CR"),
        pytest.param(
            lambda text: text.replace(",", "\t").encode("utf-16"), id="Excel Unicode text (TSV)"
        ),
    ],
)
def test_every_way_excel_saves_the_file_gives_the_same_readers(encode: object) -> None:
    assert callable(encode)
    expected = parse_roster(EXAMPLE.encode(), "roster.csv")
    result = parse_roster(encode(EXAMPLE), "roster.csv")
    assert result == expected


CHINESE = """借书证号,姓名,班级,年级,身份,备注
202430201,白宇沐,三年级（2）班,三年级,学生,转学生
T0003,武老师,,,教师,
"""


def test_chinese_headers_and_class_names_and_extra_columns() -> None:
    result = parse_roster(CHINESE.encode("gb18030"), "名单.csv")
    assert result.errors == ()
    assert result.items == (
        Reader("202430201", "宇沐", ReaderRole.STUDENT, ClassName(3, 2), 3),
        Reader("T0003", "武老师", ReaderRole.TEACHER, None, None),
    )


def test_a_title_row_above_the_header_is_skipped() -> None:
    text = "阳光小学2026年秋季学生名单,,,,\n\n" + EXAMPLE
    result = parse_roster(text.encode(), "roster.csv")
    assert result.errors == ()
    assert len(result.items) == 38


def test_excel_padding_blank_rows_and_cells_are_ignored() -> None:
    text = 'card,name,class\n="007", 王  明 , 3-2 \n,,\n\n'
    result = parse_roster(text.encode(), "r.csv")
    assert result.errors == ()
    assert result.items == (Reader("007", "明", ReaderRole.STUDENT, ClassName(3, 2), 3),)


HEADER = "card,name,class,grade,role\n"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "1,王小明,7-1,,student",
            'r.csv:2: class: expected a primary-school grade from 1 to 6, found "7-1"',
        ),
        ("1,王小明,3-0,,", 'r.csv:2: class: expected a class number of 1 or more, found "3-0"'),
        (
            "1,王小明,三班,,",
            'r.csv:2: class: expected a class such as 3-2 or 三年级(2)班, found "三班"',
        ),
        (
            "1,王小明,,,student",
            "r.csv:2: class: expected a class such as 3-2 or 三年级(2)班 for a student, found "
            "nothing",
        ),
        ("1,王小明,3-2,4,", 'r.csv:2: grade: expected 3, the grade of class 3-2, found "4"'),
        (
            "1,王小明,3-2,初一,",
            'r.csv:2: grade: expected a primary-school grade from 1 to 6, found "初一"',
        ),
        (
            "1,王小明,3-2,,parent",
            'r.csv:2: role: expected student (学生) or teacher (教师), found "parent"',
        ),
        (",王小明,3-2,,", "r.csv:2: card: expected a card number, found nothing"),
        (
            "12 34,王小明,3-2,,",
            "r.csv:2: card: expected a card number without spaces or control characters, found "
            '"12 34"',
        ),
        (
            "2.0261E+08,王小明,3-2,,",
            "r.csv:2: card: expected a card number written out in full (format the column as "
            'text in Excel), found "2.0261E+08"',
        ),
        (
            "1" * 65 + ",王小明,3-2,,",
            'r.csv:2: card: expected a card number of at most 64 characters, found "'
            + "1" * 40
            + '…"',
        ),
        ("1,,3-2,,", "r.csv:2: name: expected a name, found nothing"),
        (
            "1,王\x07明,3-2,,",
            "r.csv:2: name: expected a name on one line, without control characters, found "
            '"王\\x07明"',
        ),
        (
            '1,"王\n明",3-2,,',
            "r.csv:2: name: expected a value on one line (is a closing quote missing?), found "
            '"王\\n明"',
        ),
    ],
)
def test_a_bad_row_is_reported_with_line_column_and_what_was_expected(row: str, error: str) -> None:
    good = "9,李明,3-2,,\n"
    result = parse_roster((HEADER + row + "\n" + good).encode(), "r.csv")
    assert [str(e) for e in result.errors] == [error]
    assert [reader.card for reader in result.items] == ["9"]  # the good row is still imported


@pytest.mark.parametrize("date", ["3月2日", "2026/3/2", "2-Mar"])
def test_a_class_excel_turned_into_a_date_says_so(date: str) -> None:
    result = parse_roster((HEADER + f"1,李明,{date},,\n").encode(), "r.csv")
    assert [str(e) for e in result.errors] == [
        "r.csv:2: class: expected a class such as 3-2 or 三年级(2)班, not a date (format the"
        f' column as text in Excel), found "{date}"'
    ]


def test_every_bad_cell_of_a_row_is_reported_and_lines_count_the_header() -> None:
    text = HEADER + "1,李明,3-2,,\n\n2,,9-9,,\n"
    result = parse_roster(text.encode(), "r.csv")
    assert [str(e) for e in result.errors] == [
        "r.csv:4: name: expected a name, found nothing",
        'r.csv:4: class: expected a primary-school grade from 1 to 6, found "9-9"',
    ]


def test_a_multi_line_field_is_reported_at_the_line_where_its_row_starts() -> None:
    text = HEADER + '1,"李\r\n明",3-2,,\r\n2,张,3-2,,0\r\n'
    result = parse_roster(text.encode(), "r.csv")
    assert [(e.line, e.column) for e in result.errors] == [(2, "name"), (4, "role")]


def test_a_card_given_twice_is_an_error_on_the_later_row() -> None:
    text = HEADER + "1,李明,3-2,,\n2,王明,3-2,,\n1,张明,3-1,,\n"
    result = parse_roster(text.encode(), "r.csv")
    assert [str(e) for e in result.errors] == [
        'r.csv:4: card: expected a card number not already on line 2, found "1"'
    ]
    assert [reader.given_name for reader in result.items] == ["明", "明"]


def test_errors_name_the_column_as_the_file_writes_it() -> None:
    text = "借书证号,姓名,班级\n1,李明,十三班\n"
    result = parse_roster(text.encode(), "r.csv")
    assert [str(e) for e in result.errors] == [
        'r.csv:2: 班级: expected a class such as 3-2 or 三年级(2)班, found "十三班"'
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "name,class\n李明,3-2\n",
            'r.csv:1: header: expected a header with columns card (借书证号), found "name,class"',
        ),
        (
            "",
            "r.csv:1: header: expected a header with columns card (借书证号), name (姓名), "
            "class (班级), found nothing",
        ),
        (
            "\n\n",
            "r.csv:1: header: expected a header with columns card (借书证号), name (姓名), "
            "class (班级), found nothing",
        ),
        (HEADER, "r.csv:2: file: expected rows below the header, found nothing"),
        (HEADER + ",,,,\n", "r.csv:2: file: expected rows below the header, found nothing"),
    ],
)
def test_a_file_without_the_needed_columns_or_rows_is_one_clear_error(
    text: str, error: str
) -> None:
    result = parse_roster(text.encode(), "r.csv")
    assert [str(e) for e in result.errors] == [error]
    assert result.items == ()
