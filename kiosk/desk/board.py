"""What the idle screen knows: the next borrowing window, new arrivals, this week's top class.

No personal data: classes and titles only. The words for them are the touchscreen's
(``kiosk.ui.board_lines``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from kiosk.core.calendar import is_open_day
from kiosk.core.decisions import EventType
from kiosk.core.journal import RecordedEvent
from kiosk.core.models import ClassName
from kiosk.core.policy import Policy, Window

# How far ahead the idle screen looks for the next borrowing window.
LOOKAHEAD_DAYS = 21


def next_window(policy: Policy, local: datetime) -> tuple[datetime, Window] | None:
    """The next window to open after ``local`` (today later, or a coming open day)."""
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = (local + timedelta(days=offset)).date()
        if day > policy.term.end or not is_open_day(policy.term, day):
            continue
        starts = sorted((w.start, w.name, w) for w in policy.windows if day.weekday() in w.weekdays)
        for start, _, window in starts:
            moment = datetime.combine(day, start, local.tzinfo)
            if moment > local:
                return moment, window
    return None


class ArrivalsSource(Protocol):
    def titles(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class ListedArrivals:
    """New arrivals the librarian lists by barcode (``idle.new_arrivals``); unknown or withdrawn
    copies are left out, so the list never shows a book the catalogue no longer has."""

    barcodes: Sequence[str]
    title_of: Callable[[str], str | None]

    def titles(self) -> Sequence[str]:
        found = (self.title_of(b) for b in self.barcodes)
        return tuple(dict.fromkeys(t for t in found if t))


@dataclass(frozen=True)
class PulledArrivals:
    """The new arrivals the librarian chose on the pages (or, without a choice, the copies the
    server added last), as the sync worker last pulled them. A kiosk never paired with a server
    has pulled nothing: it shows its own list (``unpaired``, ``idle.new_arrivals``) instead."""

    pulled: Callable[[], Sequence[str] | None]  # titles; None before the kiosk's first pull
    unpaired: ArrivalsSource

    def titles(self) -> Sequence[str]:
        found = self.pulled()
        if found is None:
            return self.unpaired.titles()
        return tuple(dict.fromkeys(t for t in found if t))


def week_start(local: datetime) -> datetime:
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, datetime.min.time(), local.tzinfo)


class WeeklyTally:
    """Checkouts per class since Monday, from the local journal, kept up to date event by event."""

    def __init__(self, class_of: Callable[[str], ClassName | None]) -> None:
        self._class_of = class_of
        self._since: datetime | None = None
        self.counts: Counter[str] = Counter()

    def reset(self, since: datetime) -> None:
        self._since, self.counts = since, Counter()

    @property
    def since(self) -> datetime | None:
        return self._since

    def add(self, events: Iterable[RecordedEvent]) -> None:
        for recorded in events:
            event = recorded.event
            if event.type is not EventType.CHECKOUT or event.card is None:
                continue
            if self._since is not None and recorded.stamp.wall < self._since:
                continue
            klass = self._class_of(event.card)
            if klass is not None:
                self.counts[str(klass)] += 1

    def best(self) -> tuple[str, int] | None:
        if not self.counts:
            return None
        # Ties go to the class named first, so the screen does not flicker between them.
        klass, count = min(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return klass, count
