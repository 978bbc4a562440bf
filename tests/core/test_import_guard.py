"""The Excel guard's boundaries a school meets (kiosk.core.import_guard): codes that lost their
leading zeros; how the plan and its words use them is in test_import_plan.py."""

from __future__ import annotations

from kiosk.core.import_guard import leading_zero_twins


def test_excel_twins_are_codes_equal_but_for_their_leading_zeros() -> None:
    twins = leading_zero_twins(
        ["0001006", "ABC1", "1001", "1002", "1003", "1004", "1005"],  # known and not digits first
        ["0001001", "0001002", "0001003", "0001004", "0001005", "0001006", "0ABC1"],
    )
    assert twins == [(f"100{n}", f"000100{n}") for n in range(1, 6)]
    assert leading_zero_twins(["0", "00"], ["000"]) == [("0", "000"), ("00", "000")]
