"""Class and grade names as schools write them (3-2, 三年级（2）班) read into one ClassName."""

from __future__ import annotations

import re
import unicodedata

from kiosk.core.models import ClassName

__all__ = [
    "CLASS_EXPECTED",
    "GRADES",
    "GRADE_EXPECTED",
    "ClassNameError",
    "parse_class_name",
    "parse_grade",
]

GRADES = range(1, 7)  # primary school only: 一年级 to 六年级

CLASS_EXPECTED = "a class such as 3-2 or 三年级(2)班"
GRADE_EXPECTED = "a grade from 1 to 6, such as 3 or 三年级"
_GRADE_RANGE = "a primary-school grade from 1 to 6"

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUM = r"[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3}"
# A separator is required between two numbers written in digits: "32" could be 3-2 or 32.
_SEPARATORS = r"[-./_·~—–、]"
_CLASS_PATTERNS = (
    re.compile(
        rf"(?P<g>{_NUM})(?:年级|年)\(?(?P<n>{_NUM})\)?班?"
    ),  # 3年级2班, 三年级(2)班, 三年二班
    re.compile(rf"(?P<g>{_NUM})\((?P<n>{_NUM})\)班?"),  # 三(2)班, 3(2)
    re.compile(rf"(?P<g>{_NUM}){_SEPARATORS}(?P<n>{_NUM})班?"),  # 3-2, 3.2, 3/2, 3-2班
)
_GRADE_PATTERN = re.compile(rf"(?:grade)?(?P<g>{_NUM})(?:年级|年)?")
# Secondary-school classes (初一, 高二) are a different school; say so instead of "not a class".
_SECONDARY = re.compile(r"(初中|高中|初|高)")


class ClassNameError(ValueError):
    """A class or grade that cannot be read; ``expected`` says what would have been accepted."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _compact(text: str) -> str:
    # NFKC turns full-width digits, brackets and dashes (３－２, （２）) into their ASCII forms.
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())


def _number(text: str) -> int | None:
    """Digits or a Chinese numeral up to 99: 2, 12, 二, 十, 十二, 二十, 二十一."""
    if text.isascii():
        return int(text) if text.isdigit() else None
    if text == "十":
        return 10
    tens, sep, ones = text.partition("十")
    if not sep:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    high = 1 if tens == "" else _CN_DIGITS.get(tens) if len(tens) == 1 else None
    low = 0 if ones == "" else _CN_DIGITS.get(ones) if len(ones) == 1 else None
    if high is None or low is None or high == 0:
        return None
    return high * 10 + low


def _check_grade(grade: int) -> int:
    if grade not in GRADES:
        raise ClassNameError(_GRADE_RANGE)
    return grade


def parse_class_name(text: str) -> ClassName:
    """Read a class name; raise ClassNameError saying what was expected if it is not one."""
    compact = _compact(text).removeprefix("小学")
    if _SECONDARY.match(compact):
        raise ClassNameError("a primary-school class (grades 1 to 6)")
    for pattern in _CLASS_PATTERNS:
        match = pattern.fullmatch(compact)
        if match is None:
            continue
        grade, number = _number(match["g"]), _number(match["n"])
        if grade is None or number is None:
            break
        _check_grade(grade)
        if number < 1:
            raise ClassNameError("a class number of 1 or more")
        return ClassName(grade=grade, number=number)
    raise ClassNameError(CLASS_EXPECTED)


def parse_grade(value: str | int) -> int:
    """Read a grade given as 3, "3", "3年级" or "三年级"; raise ClassNameError if it is not one."""
    if isinstance(value, bool):  # bool is an int to Python, never a grade to a school
        raise ClassNameError(GRADE_EXPECTED)
    if isinstance(value, int):
        return _check_grade(value)
    compact = _compact(value).removeprefix("小学")
    if _SECONDARY.match(compact):
        raise ClassNameError(_GRADE_RANGE)
    match = _GRADE_PATTERN.fullmatch(compact)
    grade = _number(match["g"]) if match else None
    if grade is None:
        raise ClassNameError(GRADE_EXPECTED)
    return _check_grade(grade)
