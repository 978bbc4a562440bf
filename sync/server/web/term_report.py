"""The term's report (期末总结): loans per class and per grade, the best class of the term
(借阅先进班级), the reading stars (读书之星) and the pupils who met the target.

The loans per class are the weekly page's counts (sync.server.web.weekly), summed over the
term. Stars and targets count a loan only if it was read: kept at least the policy's
``targets.min_days_kept`` days (local dates; a book still out counts until today), and a title
the same pupil borrowed again counts once (one ISBN, or one title for copies without one). The
best class is the one with the most such books per pupil, so a class cannot win by scanning
books out and back in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from kiosk.core.policy import Policy
from sync.server.tables import copies, events
from sync.server.web import weekly
from sync.server.web.overdue import class_key


@dataclass(frozen=True)
class ClassTerm:
    class_name: str
    pupils: int
    loans: int  # every checkout of the term
    counted: int  # the books that count: kept long enough, each title once per pupil
    met: int  # pupils who met the target

    @property
    def per_pupil(self) -> float:
        return self.counted / self.pupils if self.pupils else 0.0


@dataclass(frozen=True)
class GradeTerm:
    grade: int
    classes: int
    pupils: int
    loans: int
    counted: int


@dataclass(frozen=True)
class TermReport:
    numbers: weekly.Weekly  # each pupil's ``books`` are the books that count
    min_days_kept: int
    as_of: date
    borrowed: dict[str, int]  # card -> every checkout of the term (the weekly page's count)

    @property
    def target(self) -> int | None:
        return self.numbers.target

    def classes(self) -> list[ClassTerm]:
        """Every class, in class order."""
        n = self.numbers
        sizes = n.class_sizes()
        counted: dict[str, int] = defaultdict(int)
        for p in n.pupils:
            counted[p.class_name] += p.books
        return [
            ClassTerm(c, sizes.get(c, 0), sum(n.by_class_week[c]), counted[c], n.met_target(c))
            for c in n.classes()
        ]

    def ranking(self) -> list[ClassTerm]:
        """Classes by counted books per pupil, then by counted books; the first is the best."""
        return sorted(
            self.classes(), key=lambda c: (-c.per_pupil, -c.counted, class_key(c.class_name))
        )

    def best(self) -> ClassTerm | None:
        ranked = self.ranking()
        return ranked[0] if ranked and ranked[0].counted > 0 else None

    def grades(self) -> list[GradeTerm]:
        totals: dict[int, list[int]] = {}
        for c in self.classes():
            grade = class_key(c.class_name)[0]
            row = totals.setdefault(grade, [0, 0, 0, 0])
            for i, n in enumerate((1, c.pupils, c.loans, c.counted)):
                row[i] += n
        return [GradeTerm(g, *row) for g, row in sorted(totals.items())]

    def stars(self) -> list[weekly.Pupil]:
        return self.numbers.stars()

    def pupils(self) -> list[tuple[weekly.Pupil, int]]:
        """Every pupil, by class then name, with the books she borrowed (the pupil's ``books``
        being those that count)."""
        n = self.numbers
        return [(p, self.borrowed.get(p.card, 0)) for c in n.classes() for p in n.class_pupils(c)]

    def met_target(self) -> list[weekly.Pupil]:
        """Pupils who met the target, by class then name (none without a target)."""
        target = self.target
        if not target:
            return []
        n = self.numbers
        return [p for c in n.classes() for p in n.class_pupils(c) if p.books >= target]


def term_report(
    conn: Connection, policy: Policy, zone: ZoneInfo, today: date, class_name: str | None = None
) -> TermReport:
    """The term of ``policy`` as of ``today``; with ``class_name`` only that class."""
    numbers = weekly.weekly(conn, policy.term, zone, policy.books_per_term, today, class_name)
    counted = _counted_books(conn, policy, zone, today, {p.card for p in numbers.pupils})
    pupils = [replace(p, books=counted.get(p.card, 0)) for p in numbers.pupils]
    borrowed = {p.card: p.books for p in numbers.pupils}
    return TermReport(
        replace(numbers, pupils=pupils, _met=None), policy.min_days_kept, today, borrowed
    )


def _counted_books(
    conn: Connection, policy: Policy, zone: ZoneInfo, today: date, cards: set[str]
) -> dict[str, int]:
    """Per pupil, the distinct titles of the term's loans kept at least min_days_kept days."""
    c = events.c
    start = _midnight(policy.term.start, zone)
    end = _midnight(policy.term.end + timedelta(days=1), zone)
    # Each copy's checkouts of the term and every return after the term began (a book may come
    # back after the last day), in the order the server folded them.
    query = (
        select(c.type, c.card, c.barcode, c.effective_time)
        .where(c.effective_time >= start, c.barcode.is_not(None))
        .where(((c.type == "checkout") & (c.effective_time < end)) | (c.type == "return"))
        .order_by(c.barcode, c.effective_time, c.seq)
    )
    open_loans: dict[str, tuple[str | None, date]] = {}  # barcode -> (card, borrowed on)
    kept: list[tuple[str, str]] = []  # (card, barcode) of the loans kept long enough

    def close(barcode: str, back: date) -> None:
        card, borrowed = open_loans.pop(barcode)
        if card in cards and (back - borrowed).days >= policy.min_days_kept:
            kept.append((card, barcode))

    for row in conn.execute(query):
        barcode = str(row.barcode)
        when = _local_day(row.effective_time, zone)
        if barcode in open_loans:
            close(barcode, when)  # a return, or lent again without one (the later one holds)
        if row.type == "checkout":
            open_loans[barcode] = (row.card, when)
    for barcode in list(open_loans):
        close(barcode, today)
    titles = _titles(conn, {b for _, b in kept})
    read: dict[str, set[str]] = defaultdict(set)
    for card, barcode in kept:
        read[card].add(titles.get(barcode, barcode))
    return {card: len(books) for card, books in read.items()}


def _titles(conn: Connection, barcodes: set[str]) -> dict[str, str]:
    """What makes two copies one title: the ISBN, else the title and author."""
    if not barcodes:
        return {}
    found: dict[str, str] = {}
    wanted = sorted(barcodes)
    for i in range(0, len(wanted), 500):  # bound the IN list
        query = select(copies.c.barcode, copies.c.isbn, copies.c.title, copies.c.author).where(
            copies.c.barcode.in_(wanted[i : i + 500])
        )
        for r in conn.execute(query):
            found[str(r.barcode)] = f"isbn:{r.isbn}" if r.isbn else f"title:{r.title}\x1f{r.author}"
    return found


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
