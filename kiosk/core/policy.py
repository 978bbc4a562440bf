"""The school's rules as values: term, closed days, loan limits and the rotation timetable.

Parsed and validated from the policy TOML by :mod:`kiosk.core.policy_file`; the rules only read it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo


class Weekday(enum.IntEnum):
    """ISO weekday numbers minus one, as ``date.weekday()`` returns them."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


class OutsideWindows(enum.StrEnum):
    """Who may borrow when no window is open."""

    TEACHERS = "teachers"
    EVERYONE = "everyone"
    NOBODY = "nobody"


@dataclass(frozen=True)
class Term:
    name: str
    start: date
    end: date  # every book is due back by this day
    closed_weekdays: frozenset[Weekday] = frozenset({Weekday.SAT, Weekday.SUN})
    closed: frozenset[date] = frozenset()
    open: frozenset[date] = frozenset()  # make-up school days that fall on a closed weekday
    # From this many days before ``end`` the greeting asks a reader holding books to bring them
    # all back by ``end`` (期末催还书); 0: never.
    recall_days: int = 10

    def recalling(self, today: date) -> bool:
        """Whether ``today`` is in the term's last ``recall_days`` days (its last day too)."""
        return 0 <= (self.end - today).days < self.recall_days


@dataclass(frozen=True)
class Window:
    """A borrowing slot of the rotation timetable (借阅轮流表)."""

    name: str
    weekdays: frozenset[Weekday]
    start: time
    end: time
    classes: frozenset[str] = frozenset()  # canonical class names such as "3-2"
    grades: frozenset[int] = frozenset()
    max_books: int | None = None  # lowers the grade's limit while this window is open


@dataclass(frozen=True)
class LoanRules:
    days: int = 14
    overdue_blocks_borrowing: bool = True
    outside_windows: OutsideWindows = OutsideWindows.TEACHERS
    duplicate_scan_seconds: float = 3.0
    # Read-only views: a policy never changes once read (the parser builds them).
    max_books_by_grade: Mapping[int, int] = field(default_factory=dict)
    max_books_teacher: int = 10
    days_by_role: Mapping[str, int] = field(default_factory=dict)
    # Renewal (续借): how many times one loan may be renewed (0: never), whether an overdue book
    # may be (no: "return it first, then borrow it again"), and whether the session screen offers
    # a renew button per loan, so a child need not bring the book (a school's choice).
    renewals: int = 1
    renew_overdue: bool = False
    renew_without_book: bool = False


@dataclass(frozen=True)
class Policy:
    library_name: str
    timezone: str  # IANA name, e.g. "Asia/Shanghai"
    term: Term
    loans: LoanRules
    windows: tuple[Window, ...] = ()
    languages: tuple[str, ...] = ("zh_CN", "en")
    books_per_term: int | None = None
    idle_seconds: float = 20.0
    # Open days a copy on the reservations shelf waits for its reader before the reservation
    # expires (reservations.hold_days).
    hold_days: int = 7
    # Days a loan must be kept to count toward the reading stars and the target on the server's
    # term report (targets.min_days_kept): a book returned sooner was not read.
    min_days_kept: int = 1

    @property
    def term_began(self) -> datetime:
        """The term's first moment where the library is: a reader's books this term count from
        here, on every kiosk and on the server."""
        return datetime.combine(self.term.start, time(0), ZoneInfo(self.timezone))
