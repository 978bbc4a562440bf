"""Class and grade names as schools write them all land on one canonical class."""

from __future__ import annotations

import pytest

from kiosk.core.classes import ClassNameError, parse_class_name, parse_grade
from kiosk.core.models import ClassName


@pytest.mark.parametrize(
    "text",
    [
        "3-2",
        "3.2",
        "3/2",
        "3_2",
        "3－2",  # full-width hyphen, as typed with a Chinese input method
        "３－２",
        " 3 - 2 ",
        "3-2班",
        "3年级2班",
        "3 年级 2 班",
        "3年2班",
        "三年级(2)班",
        "三年级（2）班",
        "三年级（２）班",
        "三年级二班",
        "三年二班",
        "三(2)班",
        "三（2）班",
        "3(2)",
        "小学三年级(2)班",
    ],
)
def test_every_way_of_writing_class_three_two_is_one_class(text: str) -> None:
    class_name = parse_class_name(text)
    assert class_name == ClassName(grade=3, number=2)
    assert str(class_name) == "3-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6-11", ClassName(6, 11)),
        ("六年级十一班", ClassName(6, 11)),
        ("一年级(10)班", ClassName(1, 10)),
        ("1.1", ClassName(1, 1)),
    ],
)
def test_class_numbers_above_nine(text: str, expected: ClassName) -> None:
    assert parse_class_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-1", "a primary-school grade from 1 to 6"),
        ("0-1", "a primary-school grade from 1 to 6"),
        ("七年级(1)班", "a primary-school grade from 1 to 6"),
        ("初一(2)班", "a primary-school class (grades 1 to 6)"),
        ("高二3班", "a primary-school class (grades 1 to 6)"),
        ("3-0", "a class number of 1 or more"),
        ("3班", "a class such as 3-2 or 三年级(2)班"),
        ("32", "a class such as 3-2 or 三年级(2)班"),  # 3-2 or 32? a separator is needed
        ("三年级", "a class such as 3-2 or 三年级(2)班"),
        ("", "a class such as 3-2 or 三年级(2)班"),
        ("3-2-1", "a class such as 3-2 or 三年级(2)班"),
    ],
)
def test_a_class_that_cannot_be_read_says_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(ClassNameError) as caught:
        parse_class_name(text)
    assert caught.value.expected == expected


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (3, 3),
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("三年级", 3),
        ("3年级", 3),
        ("Grade 3", 3),
        ("六", 6),
    ],
)
def test_grades_written_as_numbers_or_words(value: str | int, grade: int) -> None:
    assert parse_grade(value) == grade


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, "a primary-school grade from 1 to 6"),
        ("0", "a primary-school grade from 1 to 6"),
        ("初一", "a primary-school grade from 1 to 6"),
        ("three", "a grade from 1 to 6, such as 3 or 三年级"),
        (True, "a grade from 1 to 6, such as 3 or 三年级"),
    ],
)
def test_a_grade_outside_primary_school_is_refused(value: str | int, expected: str) -> None:
    with pytest.raises(ClassNameError) as caught:
        parse_grade(value)
    assert caught.value.expected == expected
