"""The numbers the school publishes every week (每周公布): checkouts per class per week of the
term, the best-borrowing class of a week (借阅先进班级), each pupil's books this term against
the target, and the reading stars (读书之星).

The database counts the term's checkouts per reader and week, one grouped count per week over
the index on (type, effective_time, card); the weeks start at local Monday midnight turned into
UTC (right across a DST change). Pupils are counted in the class the roster gives them now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from kiosk.core.policy import Term
from sync.server.tables import events, readers
from sync.server.web.overdue import class_key

STARS = 10  # reading stars on the school's poster
CLASS_STARS = 3


@dataclass(frozen=True)
class Week:
    number: int  # 1 = the term's first week
    start: date  # its Monday (or the term's first day)
    end: date  # its last day in the term


@dataclass(frozen=True)
class Pupil:
    card: str
    given_name: str
    class_name: str
    books: int  # checkouts this term

    def short_of(self, target: int | None) -> int:
        return max(0, (target or 0) - self.books)


@dataclass(frozen=True)
class ClassWeek:
    class_name: str
    pupils: int
    loans: int  # this week

    @property
    def per_pupil(self) -> float:
        return self.loans / self.pupils if self.pupils else 0.0


@dataclass
class Weekly:
    term: Term
    weeks: list[Week]
    week: Week  # the week shown
    target: int | None
    by_class_week: dict[str, list[int]] = field(default_factory=dict)  # class -> loans per week
    pupils: list[Pupil] = field(default_factory=list)  # every pupil on the roster
    _met: dict[str, int] | None = field(default=None, repr=False)

    def classes(self) -> list[str]:
        return sorted(self.by_class_week, key=class_key)

    def class_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = defaultdict(int)
        for p in self.pupils:
            sizes[p.class_name] += 1
        return sizes

    def ranking(self) -> list[ClassWeek]:
        """Classes by loans per pupil in the week shown, then by loans; the first is the best."""
        sizes = self.class_sizes()
        rows = [
            ClassWeek(c, sizes.get(c, 0), self.by_class_week[c][self.week.number - 1])
            for c in self.classes()
        ]
        return sorted(rows, key=lambda r: (-r.per_pupil, -r.loans, class_key(r.class_name)))

    def best(self) -> ClassWeek | None:
        ranked = self.ranking()
        return ranked[0] if ranked and ranked[0].loans > 0 else None

    def stars(self, class_name: str | None = None, count: int = STARS) -> list[Pupil]:
        chosen = [p for p in self.pupils if class_name is None or p.class_name == class_name]
        chosen = [p for p in chosen if p.books > 0]
        chosen.sort(key=lambda p: (-p.books, class_key(p.class_name), p.given_name, p.card))
        return chosen[:count]

    def class_pupils(self, class_name: str) -> list[Pupil]:
        return sorted(
            (p for p in self.pupils if p.class_name == class_name),
            key=lambda p: (p.given_name, p.card),
        )

    def week_totals(self) -> list[int]:
        return [sum(col) for col in zip(*self.by_class_week.values(), strict=True)] or [
            0 for _ in self.weeks
        ]

    def met_target(self, class_name: str) -> int:
        """Pupils of the class who borrowed the target's number of books this term."""
        if not self.target:
            return 0
        if self._met is None:
            met: dict[str, int] = defaultdict(int)
            for p in self.pupils:
                met[p.class_name] += p.books >= self.target
            self._met = dict(met)
        return self._met.get(class_name, 0)


def term_weeks(term: Term) -> list[Week]:
    weeks: list[Week] = []
    start = term.start
    number = 1
    while start <= term.end:
        monday = start - timedelta(days=start.weekday())
        end = min(monday + timedelta(days=6), term.end)
        weeks.append(Week(number, start, end))
        start, number = end + timedelta(days=1), number + 1
    return weeks


def week_of(weeks: list[Week], day: date) -> Week:
    """The week holding ``day``, or the nearest end of the term."""
    for w in weeks:
        if w.start <= day <= w.end:
            return w
    return weeks[0] if day < weeks[0].start else weeks[-1]


def weekly(
    conn: Connection,
    term: Term,
    zone: ZoneInfo,
    target: int | None,
    day: date,
    class_name: str | None = None,
) -> Weekly:
    """The term's numbers, with the week holding ``day`` as the week shown; with
    ``class_name`` only that class is read (a teacher's page)."""
    weeks = term_weeks(term)
    roster = select(readers.c.card, readers.c.given_name, readers.c.class_name).where(
        readers.c.role == "student",
        readers.c.deleted.is_(False),
        readers.c.active.is_(True),
        readers.c.class_name.is_not(None),
    )
    if class_name is not None:
        roster = roster.where(readers.c.class_name == class_name)
    pupils_of = {r.card: (r.given_name, r.class_name) for r in conn.execute(roster)}
    by_class: dict[str, list[int]] = {cls: [0] * len(weeks) for _, cls in pupils_of.values()}
    books: dict[str, int] = defaultdict(int)
    for (card, week), n in _checkouts(conn, weeks, term, zone, class_name).items():
        who = pupils_of.get(card)
        if who is None:
            continue  # a teacher, a card no longer on the roster
        by_class[who[1]][week] += n
        books[card] += n
    pupils = [Pupil(card, name, cls, books.get(card, 0)) for card, (name, cls) in pupils_of.items()]
    return Weekly(term, weeks, week_of(weeks, day), target, by_class, pupils)


def _checkouts(
    conn: Connection, weeks: list[Week], term: Term, zone: ZoneInfo, class_name: str | None
) -> dict[tuple[str, int], int]:
    """Checkouts of the term counted per (card, week index).

    One grouped count per week, each a range of the index on (type, effective_time, card), so
    the database counts (in C, without a row reaching Python) and returns one row per reader
    who borrowed that week. The weeks run from local Monday midnight, turned into UTC.
    """
    c = events.c
    starts = [_local_midnight(w.start, zone) for w in weeks]
    ends = [*starts[1:], _local_midnight(term.end + timedelta(days=1), zone)]
    in_class = select(readers.c.card).where(readers.c.class_name == class_name)
    counts: dict[tuple[str, int], int] = {}
    for week, (start, end) in enumerate(zip(starts, ends, strict=True)):
        query = (
            select(c.card, func.count())
            .where(c.type == "checkout", c.effective_time >= start, c.effective_time < end)
            .group_by(c.card)
        )
        if class_name is not None:
            query = query.where(c.card.in_(in_class))
        for card, n in conn.execute(query):
            if card is not None:
                counts[card, week] = int(n)
    return counts


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
