"""The kiosk greets a child by given name only; the surname is dropped at import."""

from __future__ import annotations

import pytest

from kiosk.core.names import COMPOUND_SURNAMES, given_name


@pytest.mark.parametrize(
    ("full_name", "greeting"),
    [
        ("王小明", "小明"),
        ("李明", "明"),
        ("高明安", "明安"),
        ("欧阳娜娜", "娜娜"),
        ("欧阳娜", "娜"),
        ("司马光", "光"),
        ("诸葛亮", "亮"),
        ("上官婉儿", "婉儿"),
        ("令狐冲", "冲"),
        ("澹台明月", "明月"),
        ("歐陽修", "修"),  # traditional characters
        ("欧阳", "阳"),  # a two-character name keeps its last character, compound or not
        ("张", "张"),
        ("王  明", "明"),  # padded in a spreadsheet to line up with three-character names
        (" 王小明 ", "小明"),
        ("张李子涵", "子涵"),  # two joined surnames
        ("阿依努尔·买买提", "阿依努尔"),
        ("迪丽热巴・迪力木拉提", "迪丽热巴"),
        ("武老师", "武老师"),  # already a form of address
        ("Emma Smith", "Emma"),
        ("Emma", "Emma"),
        ("Jean-Luc  Picard", "Jean-Luc"),
        ("Li, Anna", "Anna"),  # surname first, as a sorted list writes it
        ("Smith,Emma Jane", "Emma"),
        ("Li,", "Li"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_given_name(full_name: str, greeting: str) -> None:
    assert given_name(full_name) == greeting


def test_the_common_compound_surnames_are_known() -> None:
    common = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙"}
    common |= {"宇文", "司徒", "夏侯", "令狐", "端木", "澹台"}
    assert common <= COMPOUND_SURNAMES
    assert all(len(surname) == 2 for surname in COMPOUND_SURNAMES)
