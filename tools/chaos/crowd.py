"""The crowd: the sample school's pupils and teachers at the three doors, following the timetable.

Each visit is the codes one person scans at one door, as `kiosk scan` arguments. What the crowd
does depends on what really happened before (``Holdings``: who holds which copy, where it was
lent and returned, read from the kiosks' journals in the true order) and on the time: pupils
borrow in their class's window and try outside it; returns happen at any door, at any time.
Some visits are meant to be refused: unknown codes, reference books, over the limit, overdue.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from kiosk.core.policy import Policy, Weekday, Window
from tools.chaos.timeline import ZONE, local

DOORS = ("door-1", "door-2", "door-3")
VISIT_GAP = timedelta(seconds=40)  # visits are this far apart at least (a visit spans seconds)


@dataclass(frozen=True)
class Person:
    card: str
    teacher: bool
    class_name: str  # "3-1"; empty for a teacher
    grade: int


@dataclass(frozen=True)
class Visit:
    """One person at one door: the codes, in order, and what the crowd meant by them."""

    door: str
    kind: str
    codes: tuple[str, ...]


@dataclass
class Holdings:
    """Who really holds which copy, from the journals' checkouts and returns in true order."""

    holder: dict[str, str] = field(default_factory=dict)
    due: dict[str, date] = field(default_factory=dict)
    lent_at: dict[str, str] = field(default_factory=dict)
    returned_at: dict[str, str] = field(default_factory=dict)

    def apply(self, event: Mapping[str, object]) -> None:
        barcode, door = event.get("barcode"), str(event["kiosk_id"])
        if not isinstance(barcode, str):
            return
        if event["type"] == "checkout":
            self.holder[barcode] = str(event["card"])
            self.due[barcode] = date.fromisoformat(str(event["due"]))
            self.lent_at[barcode] = door
        elif event["type"] == "return":
            self.holder.pop(barcode, None)
            self.returned_at[barcode] = door

    def held_by(self, card: str) -> list[str]:
        return sorted(b for b, c in self.holder.items() if c == card)


def _people(roster: Path) -> list[Person]:
    with roster.open(encoding="utf-8") as f:
        return [
            Person(r["card"], r["role"] == "teacher", r["class"], int(r["grade"] or 0))
            for r in csv.DictReader(f)
        ]


def _copies(catalog: Path) -> tuple[list[str], list[str]]:
    with catalog.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return (
        [r["barcode"] for r in rows if r["loan"] == "loan"],
        [r["barcode"] for r in rows if r["loan"] != "loan"],
    )


class Crowd:
    def __init__(self, roster: Path, catalog: Path, policy: Policy, rng: random.Random) -> None:
        self.people = _people(roster)
        self.loanable, self.reference = _copies(catalog)
        self.policy = policy
        self.rng = rng
        self._kinds: dict[str, tuple[int, Callable[[datetime, Holdings], Visit | None]]] = {
            "borrow": (30, self._borrow),
            "return": (20, self._return),
            "return_then_borrow": (8, self._return_then_borrow),
            "borrow_again_where_lent": (7, self._borrow_again_where_lent),
            "teacher": (6, self._teacher),
            "double_read": (5, self._double_read),
            "reference": (4, self._reference),
            "over_limit": (4, self._over_limit),
            "overdue": (4, self._overdue),
            "unknown_code": (4, self._unknown_code),
            "damaged": (4, self._damaged),
            "outside_window": (4, self._outside_window),
            "walk_away": (3, self._walk_away),
            "pass_on": (3, self._pass_on),
            "stray_return": (2, self._stray_return),
        }

    # -- when ---------------------------------------------------------------------------------

    def windows(self, day: date) -> list[Window]:
        return [w for w in self.policy.windows if Weekday(day.weekday()) in w.weekdays]

    def day_times(self, day: date, visits: int) -> list[datetime]:
        """``visits`` moments of one school day: most in its windows, some around them."""
        windows = self.windows(day)
        times: list[datetime] = []
        for _ in range(visits):
            if windows and self.rng.random() < 0.75:
                w = self.rng.choice(windows)
                start, end = (
                    local(day, w.start.hour, w.start.minute),
                    local(day, w.end.hour, w.end.minute),
                )
            else:
                start, end = local(day, 7, 50), local(day, 16, 30)
            span = (end - start).total_seconds()
            times.append(start + timedelta(seconds=self.rng.uniform(0, span)))
        times.sort()
        for i in range(1, len(times)):  # a visit takes its time: never two at once
            times[i] = max(times[i], times[i - 1] + VISIT_GAP)
        return times

    def open_windows(self, when: datetime) -> list[Window]:
        at = when.astimezone(ZONE)
        return [w for w in self.windows(at.date()) if w.start <= at.time() < w.end]

    def may_borrow(self, person: Person, when: datetime) -> bool:
        if person.teacher:
            return True
        return any(
            person.class_name in w.classes or person.grade in w.grades
            for w in self.open_windows(when)
        )

    # -- what -------------------------------------------------------------------------------

    def visit(self, when: datetime, held: Holdings, *, history: bool = False) -> Visit:
        """The next visit at ``when``. On the earlier day (``history``) people only borrow."""
        if history:
            return (
                self._borrow(when, held)
                or self._teacher(when, held)
                or self._unknown_code(when, held)
            )
        kinds = list(self._kinds)
        weights = [self._kinds[k][0] for k in kinds]
        if len(self._shelf(held)) < 10:  # books pile up at home: the crowd brings them back
            weights = [w * 4 if "return" in k else w for k, w in zip(kinds, weights, strict=True)]
        for _ in range(20):
            kind = self.rng.choices(kinds, weights)[0]
            found = self._kinds[kind][1](when, held)
            if found is not None:
                return found
        return self._unknown_code(when, held)

    def _shelf(self, held: Holdings) -> list[str]:
        return [b for b in self.loanable if b not in held.holder]

    def _door(self, avoid: str | None = None) -> str:
        doors = [d for d in DOORS if d != avoid] if avoid and self.rng.random() < 0.85 else DOORS
        return self.rng.choice(list(doors))

    def _pick(self, items: Sequence[str], most: int) -> list[str]:
        return self.rng.sample(list(items), min(len(items), most))

    def _pupil(self, when: datetime, *, may: bool = True) -> Person | None:
        found = [p for p in self.people if not p.teacher and self.may_borrow(p, when) == may]
        return self.rng.choice(found) if found else None

    def _borrow(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when)
        shelf = self._shelf(held)
        if person is None or not shelf:
            return None
        books = self._pick(shelf, self.rng.choice((1, 1, 2)))
        return Visit(self._door(), "borrow", (person.card, *books, "@done"))

    def _teacher(self, when: datetime, held: Holdings) -> Visit | None:
        teacher = self.rng.choice([p for p in self.people if p.teacher])
        mine, shelf = held.held_by(teacher.card), self._shelf(held)
        if mine and self.rng.random() < 0.5:  # a class set comes back
            return Visit(self._door(), "teacher_returns", tuple(mine))
        if not shelf:
            return None
        return Visit(self._door(), "teacher", (teacher.card, *self._pick(shelf, 3), "@done"))

    def _holder_book(self, held: Holdings, pupils_only: bool = False) -> str | None:
        books = sorted(held.holder)
        if pupils_only:
            teachers = {p.card for p in self.people if p.teacher}
            books = [b for b in books if held.holder[b] not in teachers]
        return self.rng.choice(books) if books else None

    def _return(self, when: datetime, held: Holdings) -> Visit | None:
        book = self._holder_book(held)
        if book is None:
            return None
        card = held.holder[book]
        books = held.held_by(card) if self.rng.random() < 0.3 else [book]
        return Visit(self._door(avoid=held.lent_at.get(book)), "return", tuple(books))

    def _return_then_borrow(self, when: datetime, held: Holdings) -> Visit | None:
        book = self._holder_book(held)
        shelf = self._shelf(held)
        if book is None or not shelf:
            return None
        card = held.holder[book]
        door = self._door(avoid=held.lent_at.get(book))
        return Visit(door, "return_then_borrow", (book, card, self.rng.choice(shelf), "@done"))

    def _borrow_again_where_lent(self, when: datetime, held: Holdings) -> Visit | None:
        """A copy lent at one door and returned at another, lent again at the first."""
        moved = [
            b
            for b in self._shelf(held)
            if b in held.lent_at and held.returned_at.get(b, held.lent_at[b]) != held.lent_at[b]
        ]
        person = self._pupil(when) or self.rng.choice([p for p in self.people if p.teacher])
        if not moved:
            return None
        book = self.rng.choice(moved)
        return Visit(held.lent_at[book], "borrow_again_where_lent", (person.card, book, "@done"))

    def _double_read(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when) or self._pupil(when, may=False)
        shelf = self._shelf(held)
        if person is None or not shelf:
            return None
        book = self.rng.choice(shelf)
        other = self._pupil(when, may=False) or person
        codes = self.rng.choice(
            (
                (person.card, book, book, "@done"),  # the scanner reads the book twice
                (person.card, person.card, book, "@done"),  # the card twice
                (other.card, person.card, book, "@done"),  # a friend's card first: preempted
            )
        )
        return Visit(self._door(), "double_read", codes)

    def _reference(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when) or self._pupil(when, may=False)
        if person is None:
            return None
        return Visit(
            self._door(), "reference", (person.card, self.rng.choice(self.reference), "@done")
        )

    def _over_limit(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when)
        shelf = self._shelf(held)
        if person is None or len(shelf) < 3:
            return None
        return Visit(self._door(), "over_limit", (person.card, *self._pick(shelf, 3), "@done"))

    def _overdue(self, when: datetime, held: Holdings) -> Visit | None:
        today = when.astimezone(ZONE).date()
        late = sorted({c for b, c in held.holder.items() if held.due[b] < today})
        shelf = self._shelf(held)
        if not late or not shelf:
            return None
        card = self.rng.choice(late)
        return Visit(self._door(), "overdue", (card, self.rng.choice(shelf), "@done"))

    def _unknown_code(self, when: datetime, held: Holdings) -> Visit:
        code = self.rng.choice(
            (
                f"00099{self.rng.randrange(100):02d}",  # an unlabelled book
                f"2024999{self.rng.randrange(100):02d}",  # a card the roster does not have
                "https://weixin.qq.com/r/chaos?token=x1y2z3",  # a QR code on a phone
                "9787000000000",  # an ISBN of no copy
            )
        )
        return Visit(self._door(), "unknown_code", (code,))

    def _damaged(self, when: datetime, held: Holdings) -> Visit | None:
        book = self._holder_book(held)
        if book is None:
            return None
        return Visit(self._door(avoid=held.lent_at.get(book)), "damaged", (book, "@damaged"))

    def _outside_window(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when, may=False)
        shelf = self._shelf(held)
        if person is None or not shelf:
            return None
        return Visit(self._door(), "outside_window", (person.card, self.rng.choice(shelf), "@done"))

    def _walk_away(self, when: datetime, held: Holdings) -> Visit | None:
        person = self._pupil(when)
        shelf = self._shelf(held)
        if person is None or not shelf:
            return None
        codes = (person.card, self.rng.choice(shelf), "@wait=25")  # the session times out
        return Visit(self._door(), "walk_away", codes)

    def _pass_on(self, when: datetime, held: Holdings) -> Visit | None:
        """A child hands a book to a friend, who borrows it at another door."""
        book = self._holder_book(held, pupils_only=True)
        friend = self._pupil(when)
        if book is None or friend is None or friend.card == held.holder[book]:
            return None
        door = self._door(avoid=held.lent_at.get(book))
        return Visit(door, "pass_on", (friend.card, book, "@done"))

    def _stray_return(self, when: datetime, held: Holdings) -> Visit | None:
        """A child scans a book off the shelf with no card: a return of a copy not on loan."""
        shelf = self._shelf(held)
        return Visit(self._door(), "stray_return", (self.rng.choice(shelf),)) if shelf else None
