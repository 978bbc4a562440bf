"""The policy TOML read into kiosk.core.policy values; every problem names the key it is about."""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from types import MappingProxyType

from kiosk.core.bounds import MAX_TERM_DAYS
from kiosk.core.classes import ClassNameError, parse_class_name, parse_grade
from kiosk.core.policy import LoanRules, OutsideWindows, Policy, Term, Window
from kiosk.core.toml_checks import Checker, show

__all__ = ["PolicyError", "parse_policy"]

_OUTSIDE = {choice.value: choice for choice in OutsideWindows}
_OUTSIDE_NAMES = ", ".join(_OUTSIDE)
_MAX_BOOKS_KEYS = {f"grade_{grade}": grade for grade in range(1, 7)}
_ROLES = ("student", "teacher")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")

_TOP_KEYS = ("library", "term", "loans", "targets", "session", "reservations", "windows")
_LIBRARY_KEYS = ("name", "timezone", "languages")
_TERM_KEYS = ("name", "start", "end", "closed_weekdays", "closed", "open", "recall_days")
_LOANS_KEYS = (
    "days",
    "overdue_blocks_borrowing",
    "outside_windows",
    "duplicate_scan_seconds",
    "max_books",
    "days_by_role",
    "renewals",
    "renew_overdue",
    "renew_without_book",
)
_RESERVATIONS_KEYS = ("hold_days",)
_TARGETS_KEYS = ("books_per_term", "min_days_kept")
_WINDOW_KEYS = ("name", "weekdays", "start", "end", "classes", "grades", "max_books")


class PolicyError(ValueError):
    """The policy cannot be used. ``problems`` lists each one as ``key: what is wrong``.

    Keys are written as dotted paths; ``windows[0]`` is the first ``[[windows]]`` block.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def parse_policy(text: str) -> Policy:
    """Read and check a policy file's text; raise PolicyError listing every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([_syntax_problem(text, str(exc))]) from None
    except RecursionError:  # arrays nested hundreds deep: no policy looks like that
        raise PolicyError(["the file nests arrays or tables too deeply to be a policy"]) from None
    check = _PolicyParser()
    policy = check.policy(data)
    if check.problems or policy is None:
        raise PolicyError(check.problems)
    return policy


class _PolicyParser(Checker):
    """The policy file's tables, read with every problem collected."""

    def policy(self, data: Mapping[str, object]) -> Policy | None:
        self.unknown_keys(data, "", _TOP_KEYS)
        library = self.table(data, "library", "library", _LIBRARY_KEYS)
        if library is None and "library" not in data:
            self.missing("library", "a [library] table with name and timezone")
        term_table = self.table(data, "term", "term", _TERM_KEYS)
        if term_table is None and "term" not in data:
            self.missing("term", "a [term] table with name, start and end")
        name = timezone = None
        languages = Policy.languages
        if library is not None:
            name = self.text(library, "name", "library.name")
            timezone = self.timezone(library)
            languages = self.languages(library)
        term = self.term(term_table) if term_table is not None else None
        loans = self.loans(self.table(data, "loans", "loans", _LOANS_KEYS) or {})
        targets = self.table(data, "targets", "targets", _TARGETS_KEYS) or {}
        books = None
        if "books_per_term" in targets:
            books = self.integer(targets, "books_per_term", "targets.books_per_term", 1)
        kept = self.integer(
            targets,
            "min_days_kept",
            "targets.min_days_kept",
            Policy.min_days_kept,
            maximum=30,
            minimum=0,  # 0: every loan counts, even one returned the same day
        )
        session = self.table(data, "session", "session", ("idle_seconds",)) or {}
        idle = self.seconds(
            session, "idle_seconds", "session.idle_seconds", Policy.idle_seconds, above=True
        )
        held = self.table(data, "reservations", "reservations", _RESERVATIONS_KEYS) or {}
        hold_days = self.integer(
            held, "hold_days", "reservations.hold_days", Policy.hold_days, maximum=60
        )
        windows = self.windows(data.get("windows", []))
        if name is None or timezone is None or term is None:
            return None
        return Policy(
            library_name=name,
            timezone=timezone,
            term=term,
            loans=loans,
            windows=windows,
            languages=languages,
            books_per_term=books,
            idle_seconds=idle,
            hold_days=hold_days,
            min_days_kept=kept,
        )

    def timezone(self, library: Mapping[str, object]) -> str | None:
        name = self.text(library, "timezone", "library.timezone")
        if name is None:
            return None
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.problems.append(
                f"library.timezone: {show(name)} is not a known time zone;"
                ' expected an IANA name such as "Asia/Shanghai"'
            )
            return None
        return name

    def languages(self, library: Mapping[str, object]) -> tuple[str, ...]:
        if "languages" not in library:
            return Policy.languages
        found = self.items(library, "languages", "library.languages")
        good = tuple(v for v in found if isinstance(v, str) and _LANGUAGE.fullmatch(v))
        for value in found:
            if value not in good:
                self.bad("library.languages", 'a language such as "zh_CN" or "en"', value)
        if not found and isinstance(library["languages"], list):
            self.bad("library.languages", 'at least one language such as "zh_CN"', found)
        return good or Policy.languages

    def term(self, table: Mapping[str, object]) -> Term | None:
        name = self.text(table, "name", "term.name")
        start = end = None
        for field in ("start", "end"):
            if field not in table:
                self.missing(f"term.{field}", "a date such as 2026-09-01")
        if "start" in table:
            start = self.day(table["start"], "term.start")
        if "end" in table:
            end = self.day(table["end"], "term.end")
        if start is not None and end is not None and end < start:
            self.problems.append(f"term.end: {end} is before term.start {start}")
            start = end = None  # no closed or open day can be inside a term that is not one
        elif start is not None and end is not None and (end - start).days > MAX_TERM_DAYS:
            self.problems.append(
                f"term.end: {end} is more than {MAX_TERM_DAYS} days after term.start {start};"
                " expected a term of at most a school year"
            )
            start = end = None
        closed_weekdays = Term.closed_weekdays
        if "closed_weekdays" in table:
            closed_weekdays = self.weekdays(table, "closed_weekdays", "term.closed_weekdays")
        closed = self.term_days(table, "closed", start, end)
        opened = self.term_days(table, "open", start, end)
        for both in sorted(closed & opened):
            self.problems.append(f"term.open: {both} is also in term.closed")
        recall = self.integer(
            table, "recall_days", "term.recall_days", Term.recall_days, maximum=60, minimum=0
        )
        if name is None or start is None or end is None:
            return None
        return Term(
            name, start, end, closed_weekdays, closed=closed, open=opened, recall_days=recall
        )

    def term_days(
        self, table: Mapping[str, object], name: str, start: date | None, end: date | None
    ) -> frozenset[date]:
        key = f"term.{name}"
        days = set()
        for value in self.items(table, name, key):
            day = self.day(value, key)
            if day is None:
                continue
            if start is not None and end is not None and not start <= day <= end:
                self.problems.append(f"{key}: {day} is outside the term ({start} to {end})")
            days.add(day)
        return frozenset(days)

    def loans(self, table: Mapping[str, object]) -> LoanRules:
        value = table.get("outside_windows", LoanRules.outside_windows.value)
        outside = _OUTSIDE.get(value) if isinstance(value, str) else None
        if outside is None:
            outside = LoanRules.outside_windows
            self.problems.append(
                f"loans.outside_windows: {show(value)} is not allowed;"
                f" expected one of {_OUTSIDE_NAMES}"
            )
        max_books = self.table(table, "max_books", "loans.max_books", [*_MAX_BOOKS_KEYS, "teacher"])
        by_role = self.table(table, "days_by_role", "loans.days_by_role", _ROLES)
        max_books = max_books or {}
        return LoanRules(
            days=self.integer(table, "days", "loans.days", LoanRules.days, maximum=366),
            overdue_blocks_borrowing=self.flag(
                table, "overdue_blocks_borrowing", "loans.overdue_blocks_borrowing", True
            ),
            outside_windows=outside,
            duplicate_scan_seconds=self.seconds(
                table,
                "duplicate_scan_seconds",
                "loans.duplicate_scan_seconds",
                LoanRules.duplicate_scan_seconds,
                above=False,
            ),
            max_books_by_grade=MappingProxyType(
                {
                    grade: self.integer(max_books, key, f"loans.max_books.{key}", 1)
                    for key, grade in _MAX_BOOKS_KEYS.items()
                    if key in max_books
                }
            ),
            max_books_teacher=self.integer(
                max_books, "teacher", "loans.max_books.teacher", LoanRules.max_books_teacher
            ),
            renewals=self.integer(
                table, "renewals", "loans.renewals", LoanRules.renewals, maximum=10, minimum=0
            ),
            renew_overdue=self.flag(
                table, "renew_overdue", "loans.renew_overdue", LoanRules.renew_overdue
            ),
            renew_without_book=self.flag(
                table,
                "renew_without_book",
                "loans.renew_without_book",
                LoanRules.renew_without_book,
            ),
            days_by_role=MappingProxyType(
                {
                    role: self.integer(
                        by_role, role, f"loans.days_by_role.{role}", LoanRules.days, maximum=366
                    )
                    for role in _ROLES
                    if by_role is not None and role in by_role
                }
            ),
        )

    def windows(self, value: object) -> tuple[Window, ...]:
        if not isinstance(value, list):
            self.bad("windows", "[[windows]] blocks", value)
            return ()
        found = []
        for index, table in enumerate(value):
            key = f"windows[{index}]"
            if not isinstance(table, dict):
                self.bad(key, "a [[windows]] block", table)
                continue
            window = self.window(table, key)
            if window is not None:
                found.append(window)
        return tuple(found)

    def window(self, table: Mapping[str, object], key: str) -> Window | None:
        self.unknown_keys(table, key, _WINDOW_KEYS)
        before = len(self.problems)
        name = self.text(table, "name", f"{key}.name")
        weekdays = self.weekdays(table, "weekdays", f"{key}.weekdays")
        if not weekdays and len(self.problems) == before:
            self.missing(f"{key}.weekdays", 'a list of weekdays such as ["mon", "wed"]')
        start = self.clock(table, "start", f"{key}.start")
        end = self.clock(table, "end", f"{key}.end")
        if start is not None and end is not None and end <= start:
            self.problems.append(f"{key}.end: {end:%H:%M} is not after {key}.start {start:%H:%M}")
        before_lists = len(self.problems)
        classes = set()
        for value in self.items(table, "classes", f"{key}.classes"):
            try:
                if not isinstance(value, str):
                    raise ClassNameError('a class in quotes such as "3-2"')
                classes.add(str(parse_class_name(value)))
            except ClassNameError as exc:
                self.bad(f"{key}.classes", exc.expected, value)
        grades = set()
        for value in self.items(table, "grades", f"{key}.grades"):
            try:
                if not isinstance(value, int):
                    raise ClassNameError("a grade from 1 to 6")
                grades.add(parse_grade(value))
            except ClassNameError as exc:
                self.bad(f"{key}.grades", exc.expected, value)
        if not classes and not grades and len(self.problems) == before_lists:
            self.missing(f"{key}.classes", "the classes or grades this window is for")
        max_books = None
        if "max_books" in table:
            max_books = self.integer(table, "max_books", f"{key}.max_books", 1)
        if len(self.problems) > before or name is None or start is None or end is None:
            return None
        return Window(name, weekdays, start, end, frozenset(classes), frozenset(grades), max_books)


_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_KEY_LINE = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")
# A table header, also one whose closing bracket is missing (the mistake being reported).
_TABLE_LINE = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*(?:\]\]?|(?:#.*)?$)")
_DATE_LIKE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")


def _syntax_problem(text: str, message: str) -> str:
    """Rephrase a TOML syntax error with the key it is in and its line."""
    match = _POSITION.search(message)
    if match is None:
        return f"policy: {message}"
    reason = message[: match.start()]
    line_no = int(match[1])
    lines = text.split("\n")  # as tomllib counts lines
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    key = _key_at(lines[:line_no])
    where = f"(line {line_no})"
    for token in _DATE_LIKE.findall(line.partition("#")[0]):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
            return f"{key}: {token} is not a date; expected one such as 2026-09-01 {where}"
        try:
            date.fromisoformat(token)
        except ValueError:
            return f"{key}: {token} is not a date in the calendar {where}"
    reason = reason[:1].lower() + reason[1:]
    return f"{key}: {reason} (line {line_no}, column {match[2]})"


def _key_at(lines: Sequence[str]) -> str:
    """The dotted key whose value the last of ``lines`` belongs to, as near as a line scan can."""
    name = ""
    for back, line in enumerate(reversed(lines)):
        table = _TABLE_LINE.match(line)
        if table is not None:
            prefix = table[2]
            if table[1] == "[[":
                headers = (_TABLE_LINE.match(earlier) for earlier in lines[: len(lines) - back])
                count = sum(1 for h in headers if h and h[1] == "[[" and h[2] == prefix)
                prefix = f"{prefix}[{count - 1}]"
            return f"{prefix}.{name}" if name else prefix
        if not name and (key := _KEY_LINE.match(line)) is not None:
            name = key[1]
    return name or "policy"
