"""The simulated school week: its days, the sample policy moved onto them, and the true time.

The week is the last whole school week before today (never in the future of the machine's
clock, which certificates, logs and a database's own clock still read), plus one earlier day
whose loans are overdue by then. The sample policy's term is moved to surround those days and
its closed days dropped; everything else (windows, limits, loan days) is the sample school's.

Time is compressed by jumps: the true time is the real time plus an offset that only grows.
Between visits the simulation jumps it to the next visit's moment; every kiosk's clock (and its
monotonic clock: the machines were running meanwhile) jumps with it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")  # the sample school's; checked against its policy


def school_days(today: date, days: int) -> list[date]:
    """An earlier day (its loans are overdue in the week), then ``days`` weekdays from the
    Monday of the last whole week before ``today``."""
    monday = today - timedelta(days=today.weekday() + 7)
    history = monday - timedelta(days=19)  # a Wednesday: due 14 days later, overdue by Monday
    return [history, *(monday + timedelta(days=i) for i in range(days))]


def moved_policy(sample: str, days: list[date]) -> str:
    """The sample policy with its term around ``days`` and no closed or extra open days."""
    start, end = days[0] - timedelta(days=60), days[-1] + timedelta(days=45)
    changes = (
        (r"(?m)^start = \d{4}-\d{2}-\d{2}", f"start = {start.isoformat()}"),
        (r"(?m)^end = \d{4}-\d{2}-\d{2}", f"end = {end.isoformat()}"),
        (r"(?m)^closed = \[[^\]]*\]", "closed = []"),
        (r"(?m)^open = \[[^\]]*\]", "open = []"),
    )
    text = sample
    for pattern, replacement in changes:
        text, count = re.subn(pattern, replacement, text, count=1)
        if count != 1:  # the sample changed shape: say so rather than run on the wrong term
            raise ValueError(f"the sample policy has no line matching {pattern!r}")
    return text


@dataclass
class TrueTime:
    """The simulation's true time: the real time plus ``offset`` seconds, which only grows."""

    offset: float = 0.0

    @classmethod
    def starting_at(cls, moment: datetime) -> TrueTime:
        return cls(moment.timestamp() - time.time())

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, UTC)

    def jump_to(self, moment: datetime) -> float:
        """Jump to ``moment`` if it is ahead; the seconds jumped (0 if it is not)."""
        ahead = (moment - self.now()).total_seconds()
        if ahead <= 0:
            return 0.0
        self.offset += ahead
        return ahead


def local(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=ZONE)
