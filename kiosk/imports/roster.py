"""The school roster (card, name, class, grade, role) read into Readers with given names only."""

from __future__ import annotations

import re

from kiosk.core import bounds
from kiosk.core.classes import CLASS_EXPECTED, parse_class_name, parse_grade
from kiosk.core.models import ClassName, Reader, ReaderRole
from kiosk.core.names import given_name
from kiosk.imports import cells
from kiosk.imports.cells import CellError
from kiosk.imports.csvtext import Column, RowCheck, read_table
from kiosk.imports.errors import ImportResult

__all__ = ["COLUMNS", "parse_roster"]

COLUMNS = (
    Column("card", ("card", "借书证号", "借书证", "读者证号")),
    Column("name", ("name", "姓名")),
    Column("class", ("class", "班级")),
    Column("grade", ("grade", "年级")),
    Column("role", ("role", "身份")),
)
_REQUIRED = (("card",), ("name",), ("class",))
# Typed into Excel, 3-2 becomes the 2nd of March: 3月2日, 2026/3/2 or 2-Mar.
_EXCEL_DATE = re.compile(r"\d{1,2}月\d{1,2}日|\d{4}[/-]\d{1,2}[/-]\d{1,2}|\d{1,2}-[A-Za-z]{3}")


def _class_name(raw: str) -> ClassName | None:
    if _EXCEL_DATE.fullmatch(raw.strip()):
        raise CellError(f"{CLASS_EXPECTED}, not a date (format the column as text in Excel)")
    return parse_class_name(raw) if raw.strip() else None


def _grade(raw: str) -> int | None:
    return parse_grade(raw) if raw.strip() else None


def _reader(check: RowCheck) -> Reader | None:
    card = check.take("card", lambda raw: cells.code(raw, "a card number"))
    # The full name is as long as its line allows; what is kept of it is bounded below.
    name = check.take("name", lambda raw: cells.text(raw, "a name", required=True, limit=None))
    role = check.take("role", cells.role)
    class_name = check.take("class", _class_name)
    grade = check.take("grade", _grade)
    if check.errors or card is None or name is None or role is None:
        return None
    if class_name is not None and grade is not None and grade != class_name.grade:
        check.fail("grade", f"{class_name.grade}, the grade of class {class_name}")
        return None
    if role is ReaderRole.STUDENT and class_name is None:
        check.fail("class", f"{CLASS_EXPECTED} for a student")
        return None
    greeting = given_name(name)
    if not greeting:
        check.fail("name", "a name")
        return None
    if len(greeting) > bounds.READER_NAME_CHARS:
        check.fail(
            "name",
            f"a name whose given name has at most {bounds.READER_NAME_CHARS} characters"
            f" (this one has {len(greeting)})",
        )
        return None
    return Reader(
        card=card,
        given_name=greeting,
        role=role,
        class_name=class_name,
        grade=class_name.grade if class_name is not None else grade,
    )


def parse_roster(data: bytes, file: str) -> ImportResult[Reader]:
    """The readers of a roster file's bytes, and an error for each row left out.

    ``file`` is the name the errors give the file. Names are cut to given names here, so the full
    names of children go no further than this function.
    """
    table = read_table(data, file, COLUMNS, _REQUIRED)
    readers: list[Reader] = []
    lines: list[int] = []
    errors = list(table.errors)
    card_lines: dict[str, int] = {}
    for row in table.rows:
        check = RowCheck(table, row, file)
        reader = _reader(check)
        if reader is not None and reader.card in card_lines:
            check.fail("card", f"a card number not already on line {card_lines[reader.card]}")
            reader = None
        errors.extend(check.errors)
        if reader is not None:
            card_lines[reader.card] = row.line
            readers.append(reader)
            lines.append(row.line)
    errors.sort(key=lambda error: error.line)
    return ImportResult(tuple(readers), tuple(errors), file, tuple(lines), table.header("card"))
