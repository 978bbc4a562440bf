"""When an import is asked twice (kiosk.core.reference): the boundaries a school meets, and what
the operator is told."""

from __future__ import annotations

import pytest

from kiosk.core.reference import import_concerns, leading_zero_twins


@pytest.mark.parametrize(
    ("active_before", "made_inactive", "refused"),
    [
        (40, 10, False),  # a quarter: a new school year's leavers and more, still not asked
        (40, 11, True),  # more than a quarter
        (600, 100, False),  # a whole grade of six leaves (17%)
        (10, 9, False),  # a small library's weeding is never refused
        (10, 10, True),  # ... until it is ten and more than a quarter
        (1000, 250, False),
        (1000, 251, True),
    ],
)
def test_an_import_is_refused_only_when_it_would_make_many_inactive(
    active_before: int, made_inactive: int, refused: bool
) -> None:
    found = import_concerns(
        "readers", active_before=active_before, made_inactive=made_inactive, twins=[]
    )
    assert bool(found) is refused


def test_the_refusal_says_how_many_what_share_and_what_to_do() -> None:
    (concern,) = import_concerns("copies", active_before=40, made_inactive=11, twins=[])
    assert concern.message == (
        "the file would make 11 of 40 copies inactive (28%, more than 25%): is it the whole "
        "list? Import a partial list with --add-only"
    )


def test_excel_twins_are_named_three_at_a_time_with_how_many_more() -> None:
    twins = leading_zero_twins(
        ["0001006", "ABC1", "1001", "1002", "1003", "1004", "1005"],  # known and not digits first
        ["0001001", "0001002", "0001003", "0001004", "0001005", "0001006", "0ABC1"],
    )
    assert twins == [(f"100{n}", f"000100{n}") for n in range(1, 6)]
    (concern,) = import_concerns("copies", active_before=6, made_inactive=0, twins=twins)
    assert concern.message.startswith(
        "5 code(s) in the file equal codes already on the kiosk but for their leading zeros "
        "(1001 in the file is 0001001 on the kiosk, 1002 in the file is 0001002 on the kiosk, "
        "1003 in the file is 0001003 on the kiosk and 2 more): Excel drops"
    )
    assert leading_zero_twins(["0", "00"], ["000"]) == [("0", "000"), ("00", "000")]
