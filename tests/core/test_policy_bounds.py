"""Dates in the policy file are those of a school that runs now: a term from year 1 to 9999 (which
broke the weekly pages and every kiosk's pull) is refused, naming the key and what it expects."""

from __future__ import annotations

import pytest

from kiosk.core.policy_file import PolicyError, parse_policy

POLICY = """
[library]
name = "小图书室"
timezone = "Asia/Shanghai"

[term]
name = "秋季学期"
start = {start}
end = {end}
closed = [{closed}]
"""


def _problems(start: str, end: str, closed: str = "") -> tuple[str, ...]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(POLICY.format(start=start, end=end, closed=closed))
    return caught.value.problems


def test_a_term_from_year_1_to_9999_is_refused_naming_both_keys() -> None:
    assert _problems("0001-01-01", "9999-12-31") == (
        "term.start: expected a date from 2000-01-01 to 2100-12-31, found 0001-01-01",
        "term.end: expected a date from 2000-01-01 to 2100-12-31, found 9999-12-31",
    )


def test_a_quoted_date_and_a_holiday_are_bounded_too() -> None:
    assert _problems('"1999-12-31"', "2027-01-22") == (
        "term.start: expected a date from 2000-01-01 to 2100-12-31, found 1999-12-31",
    )
    problems = _problems("2026-09-01", "2027-01-22", closed="2026-10-01, 2101-01-01")
    assert problems == (
        "term.closed: expected a date from 2000-01-01 to 2100-12-31, found 2101-01-01",
    )


def test_a_term_longer_than_a_school_year_is_refused() -> None:
    assert _problems("2026-09-01", "2100-12-31") == (
        "term.end: 2100-12-31 is more than 366 days after term.start 2026-09-01;"
        " expected a term of at most a school year",
    )


def test_a_school_year_as_one_term_and_the_edges_are_fine() -> None:
    whole_year = parse_policy(POLICY.format(start="2026-09-01", end="2027-07-15", closed=""))
    assert whole_year.term.end.year == 2027
    parse_policy(POLICY.format(start="2000-01-01", end="2000-12-31", closed=""))
    parse_policy(POLICY.format(start="2100-01-01", end="2100-12-31", closed="2100-12-31"))
