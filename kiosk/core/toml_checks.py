"""Reading a TOML document into values while collecting every problem, each naming its key.

Generic checks (tables, unknown keys, numbers, dates, weekdays, times); the policy file's own
structure is in :mod:`kiosk.core.policy_file`.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time

from kiosk.core import bounds
from kiosk.core.policy import Weekday

__all__ = ["WEEKDAYS", "Checker", "show"]

_ENGLISH = {day.name.lower(): day for day in Weekday}
_ENGLISH_LONG = dict(zip(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), Weekday,
    strict=True,
))  # fmt: skip
# The names a Chinese school writes its timetable with: 周一, 星期一, 礼拜一 (and 日/天 for Sunday).
_CHINESE = {
    f"{prefix}{number}": day
    for prefix in ("周", "星期", "礼拜", "禮拜")
    for number, day in zip("一二三四五六", Weekday, strict=False)
} | {f"{prefix}{last}": Weekday.SUN for prefix in ("周", "星期", "礼拜", "禮拜") for last in "日天"}
WEEKDAYS = _ENGLISH | _ENGLISH_LONG | _CHINESE
_WEEKDAY_NAMES = ", ".join(_ENGLISH) + " (or monday…sunday, 周一…周日, 星期一…星期日)"
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def show(value: object) -> str:
    """A value as the TOML author wrote it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


class Checker:
    """Collects problems while reading, so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, key: str, expected: str, value: object) -> None:
        self.problems.append(f"{key}: expected {expected}, found {show(value)}")

    def table(
        self, parent: Mapping[str, object], name: str, key: str, known: Sequence[str]
    ) -> dict[str, object] | None:
        """The sub-table ``name`` of ``parent`` with unknown keys reported; None if absent."""
        value = parent.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.bad(key, "a table", value)
            return None
        self.unknown_keys(value, key, known)
        return value

    def unknown_keys(self, table: Mapping[str, object], key: str, known: Iterable[str]) -> None:
        prefix = f"{key}." if key else ""
        self.problems.extend(f"{prefix}{name}: unknown key" for name in table if name not in known)

    def missing(self, key: str, expected: str) -> None:
        self.problems.append(f"{key}: missing; expected {expected}")

    def text(self, table: Mapping[str, object], name: str, key: str) -> str | None:
        value = table.get(name)
        if value is None:
            self.missing(key, "a text in quotes")
        elif not isinstance(value, str) or not value.strip():
            self.bad(key, "a text in quotes", value)
        else:
            return value.strip()
        return None

    def integer(
        self,
        table: Mapping[str, object],
        name: str,
        key: str,
        default: int,
        maximum: int = 1000,  # no count or number of days in a school's policy comes near it
        minimum: int = 1,  # 0 only where it means "none" (loans.renewals = 0: renewal is off)
    ) -> int:
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.bad(key, f"a whole number from {minimum} to {maximum}", value)
            return default
        return value

    def seconds(
        self, table: Mapping[str, object], name: str, key: str, default: float, *, above: bool
    ) -> float:
        """A number of seconds: ``above`` zero, or zero and more; at most an hour."""
        value = table.get(name, default)
        number = float(value) if isinstance(value, int | float) else math.nan
        too_small = number <= 0 if above else number < 0
        if isinstance(value, bool) or not math.isfinite(number) or too_small or number > 3600:
            expected = "above 0" if above else "of 0 or more"
            self.bad(key, f"a number of seconds {expected}, at most 3600", value)
            return default
        return number

    def flag(self, table: Mapping[str, object], name: str, key: str, default: bool) -> bool:
        value = table.get(name, default)
        if not isinstance(value, bool):
            self.bad(key, "true or false", value)
            return default
        return value

    def day(self, value: object, key: str) -> date | None:
        """A date of a school that runs now (kiosk.core.bounds): year 1 or 9999 would put a
        term's weeks and counts out of reach of the pages and of every pull."""
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # a quoted date is still a date
                value = date.fromisoformat(value)
        if isinstance(value, datetime) or not isinstance(value, date):
            self.bad(key, "a date such as 2026-09-01", value)
            return None
        if not bounds.POLICY_FIRST_DAY <= value <= bounds.POLICY_LAST_DAY:
            self.bad(
                key, f"a date from {bounds.POLICY_FIRST_DAY} to {bounds.POLICY_LAST_DAY}", value
            )
            return None
        return value

    def items(self, table: Mapping[str, object], name: str, key: str) -> list[object]:
        value = table.get(name, [])
        if not isinstance(value, list):
            self.bad(key, "a list in [brackets]", value)
            return []
        return value

    def weekdays(self, table: Mapping[str, object], name: str, key: str) -> frozenset[Weekday]:
        days = set()
        for value in self.items(table, name, key):
            day = WEEKDAYS.get(value.strip().lower()) if isinstance(value, str) else None
            if day is None:
                self.problems.append(
                    f"{key}: {show(value)} is not a weekday; expected one of {_WEEKDAY_NAMES}"
                )
            else:
                days.add(day)
        return frozenset(days)

    def clock(self, table: Mapping[str, object], name: str, key: str) -> time | None:
        value = table.get(name)
        if isinstance(value, time):
            return value
        match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            if value is None:
                self.missing(key, 'a time such as "12:10"')
            else:
                self.bad(key, 'a time such as "12:10"', value)
            return None
        return time(int(match[1]), int(match[2]))
