"""The rotation timetable (借阅轮流表): is a borrowing window open for this reader right now?"""

from __future__ import annotations

from datetime import datetime

from kiosk.core.calendar import is_open_day
from kiosk.core.models import Reader
from kiosk.core.policy import Policy, Window


def open_windows(policy: Policy, local: datetime) -> tuple[Window, ...]:
    """Windows open at this local time (start inclusive, end exclusive), on an open day."""
    if not is_open_day(policy.term, local.date()):
        return ()
    moment = local.time().replace(tzinfo=None)
    return tuple(
        w for w in policy.windows if local.weekday() in w.weekdays and w.start <= moment < w.end
    )


def window_admits(window: Window, reader: Reader) -> bool:
    if reader.class_name is not None and str(reader.class_name) in window.classes:
        return True
    grade = (
        reader.grade
        if reader.grade is not None
        else (reader.class_name.grade if reader.class_name is not None else None)
    )
    return grade is not None and grade in window.grades


def windows_for(policy: Policy, reader: Reader, local: datetime) -> tuple[Window, ...]:
    """The open windows that list this reader's class or grade."""
    return tuple(w for w in open_windows(policy, local) if window_admits(w, reader))
