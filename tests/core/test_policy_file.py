"""The policy file: the example reads as written, and each mistake is named by its key."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest

from kiosk.core.policy import LoanRules, OutsideWindows, Policy, Weekday
from kiosk.core.policy_file import PolicyError, parse_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "kiosk" / "sample"
EXAMPLE = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")

MINIMAL = """
[library]
name = "小图书室"
timezone = "Asia/Shanghai"

[term]
name = "秋季学期"
start = 2026-09-01
end = 2027-01-22
"""


def test_the_example_policy_reads_as_the_school_wrote_it() -> None:
    policy = parse_policy(EXAMPLE)
    assert policy.library_name == "阳光小学图书室"
    assert policy.timezone == "Asia/Shanghai"
    assert policy.languages == ("zh_CN", "en")
    assert (policy.term.start, policy.term.end) == (date(2026, 9, 1), date(2027, 1, 22))
    assert policy.term.closed_weekdays == {Weekday.SAT, Weekday.SUN}
    assert date(2026, 10, 1) in policy.term.closed
    assert policy.term.open == {date(2026, 9, 27), date(2026, 10, 10)}
    assert policy.loans.days == 14
    assert policy.loans.outside_windows is OutsideWindows.TEACHERS
    assert policy.loans.max_books_by_grade == {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 2}
    assert policy.loans.max_books_teacher == 10
    assert policy.loans.days_by_role == {"teacher": 30}
    assert policy.books_per_term == 10
    assert policy.idle_seconds == 20
    monday = policy.windows[0]
    assert monday.name == "周一午间轮借"
    assert monday.weekdays == {Weekday.MON}
    assert (monday.start, monday.end) == (time(12, 10), time(13, 0))
    assert monday.classes == {"3-1", "3-2", "4-1"}
    assert monday.max_books == 1
    assert policy.windows[3].grades == {1, 2}
    assert len(policy.windows) == 5


def test_missing_optional_sections_take_the_defaults() -> None:
    policy = parse_policy(MINIMAL)
    assert policy == Policy(
        library_name="小图书室",
        timezone="Asia/Shanghai",
        term=policy.term,
        loans=LoanRules(),
    )
    assert policy.term.closed_weekdays == {Weekday.SAT, Weekday.SUN}


def test_seconds_may_be_fractions() -> None:
    text = EXAMPLE.replace("idle_seconds = 20", "idle_seconds = 7.5")
    text = text.replace("duplicate_scan_seconds = 3", "duplicate_scan_seconds = 0")
    policy = parse_policy(text)
    assert (policy.idle_seconds, policy.loans.duplicate_scan_seconds) == (7.5, 0.0)


@pytest.mark.parametrize(
    ("written", "day"),
    [("周一", Weekday.MON), ("星期三", Weekday.WED), ("礼拜五", Weekday.FRI), ("周日", Weekday.SUN),
     ("星期天", Weekday.SUN), (" Tuesday ", Weekday.TUE), ("THU", Weekday.THU)],
)  # fmt: skip
def test_weekdays_as_a_chinese_school_writes_them(written: str, day: Weekday) -> None:
    text = MINIMAL + f'[[windows]]\nname = "午间"\nweekdays = ["{written}"]\n'
    text += 'start = "12:10"\nend = "13:00"\ngrades = [3]\n'
    assert parse_policy(text).windows[0].weekdays == {day}


def test_class_names_in_windows_are_normalised() -> None:
    text = MINIMAL + '[[windows]]\nname = "w"\nweekdays = ["Mon"]\nstart = "9:05"\nend = 10:00:00\n'
    text += 'classes = ["三年级（2）班", "4.1"]\n'
    window = parse_policy(text).windows[0]
    assert window.classes == {"3-2", "4-1"}
    assert (window.start, window.end) == (time(9, 5), time(10, 0))


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'weekdays = ["wed"]',
            'weekdays = ["mnn"]',
            'windows[2].weekdays: "mnn" is not a weekday; expected one of mon, tue, wed, thu,'
            " fri, sat, sun (or monday…sunday, 周一…周日, 星期一…星期日)",
        ),
        (
            "end = 2027-01-22",
            "end = 2026-08-31",
            "term.end: 2026-08-31 is before term.start 2026-09-01",
        ),
        ("days = 14", 'days = 14\ncolour = "red"', "loans.colour: unknown key"),
        ("[targets]", "[targets]\nbook_per_term = 3", "targets.book_per_term: unknown key"),
        ("[session]", "[sessions]", "sessions: unknown key"),
        (
            'name = "周一午间轮借"',
            'name = "周一午间轮借"\nroom = 2',
            "windows[0].room: unknown key",
        ),
        (
            "start = 2026-09-01",
            "start = 2026-02-30",
            "term.start: 2026-02-30 is not a date in the calendar (line 12)",
        ),
        (
            "2027-01-01]",
            "2027-02-30]",
            "term.closed: 2027-02-30 is not a date in the calendar (line 15)",
        ),
        (
            "start = 2026-09-01",
            "start = 2026-13-01",
            "term.start: 2026-13-01 is not a date in the calendar (line 12)",
        ),
        (
            "start = 2026-09-01",
            "start = 2026-9-1",
            "term.start: 2026-9-1 is not a date; expected one such as 2026-09-01 (line 12)",
        ),
        (
            'name = "阳光小学图书室"',
            'name = "阳光小学图书室',
            "library.name: illegal character '\\n' (line 6, column 16)",
        ),
        # A syntax error in the third [[windows]] block is in windows[2], not in the first one.
        (
            'name = "周三午间轮借"',
            'name = "周三午间轮借',
            "windows[2].name: illegal character '\\n' (line 67, column 15)",
        ),
        # On a header line the table itself is named, with or without its closing bracket.
        (
            '[[windows]]\nname = "周二午间轮借"',
            '[[windows]\nname = "周二午间轮借"',
            "windows[1]: expected ']]' at the end of an array declaration (line 58, column 10)",
        ),
        (
            "[loans.max_books]",
            "[loans.max_books",
            "loans.max_books: expected ']' at the end of a table declaration (line 28, column 37)",
        ),
        # A value of the wrong kind is shown as the librarian wrote it.
        (
            "days = 14",
            "days = false",
            "loans.days: expected a whole number from 1 to 366, found false",
        ),
        (
            "grade_1 = 1",
            "grade_1 = true",
            "loans.max_books.grade_1: expected a whole number from 1 to 1000, found true",
        ),
        (
            "days = 14",
            "days = [14]",
            "loans.days: expected a whole number from 1 to 366, found a list",
        ),
        (
            "days = 14",
            "days = {value = 14}",
            "loans.days: expected a whole number from 1 to 366, found a table",
        ),
        (
            'outside_windows = "teachers"',
            """outside_windows = 'a\\b"c'""",
            'loans.outside_windows: "a\\\\b\\"c" is not allowed; '
            "expected one of teachers, everyone, nobody",
        ),
        # A date in a comment is not taken for the mistake on its line.
        (
            "days = 14",
            "days = 14 天   # 14 since 2026-9-1",
            "loans.days: expected newline or end of document after a statement "
            "(line 20, column 11)",
        ),
        # Before any key or table there is nothing to name but the file.
        (
            "# Library policy",
            "Library policy",
            "policy: expected '=' after a key in a key/value pair (line 1, column 9)",
        ),
        (
            'start = "14:30"\nend = "15:10"',
            'start = "14:30"\nend = "14:00"',
            "windows[3].end: 14:00 is not after windows[3].start 14:30",
        ),
        (
            'start = "10:00"',
            'start = "10.00"',
            'windows[4].start: expected a time such as "12:10", found "10.00"',
        ),
        ('end = "13:00"', "", 'windows[0].end: missing; expected a time such as "12:10"'),
        (
            "max_books = 1                        # unstaffed",
            "max_books = 0                        # unstaffed",
            "windows[0].max_books: expected a whole number from 1 to 1000, found 0",
        ),
        (
            "grade_3 = 2",
            "grade_3 = 0",
            "loans.max_books.grade_3: expected a whole number from 1 to 1000, found 0",
        ),
        ("grade_3 = 2", "grade_7 = 2", "loans.max_books.grade_7: unknown key"),
        (
            "teacher = 10",
            "teacher = true",
            "loans.max_books.teacher: expected a whole number from 1 to 1000, found true",
        ),
        ("days = 14", "days = 0", "loans.days: expected a whole number from 1 to 366, found 0"),
        (
            "days = 14",
            "days = 100000000000",
            "loans.days: expected a whole number from 1 to 366, found 100000000000",
        ),
        (
            "teacher = 30",
            'teacher = "30"',
            'loans.days_by_role.teacher: expected a whole number from 1 to 366, found "30"',
        ),
        (
            'classes = ["6-1", "6-2"]',
            'classes = ["6-1", "7-2"]',
            'windows[2].classes: expected a primary-school grade from 1 to 6, found "7-2"',
        ),
        (
            'classes = ["6-1", "6-2"]',
            'classes = ["6-1", "六班"]',
            'windows[2].classes: expected a class such as 3-2 or 三年级(2)班, found "六班"',
        ),
        (
            "grades = [1, 2]",
            "grades = [1, 7]",
            "windows[3].grades: expected a primary-school grade from 1 to 6, found 7",
        ),
        (
            "grades = [1, 2]",
            "",
            "windows[3].classes: missing; expected the classes or grades this window is for",
        ),
        (
            "grades = [1, 2]",
            "grades = []",
            "windows[3].classes: missing; expected the classes or grades this window is for",
        ),
        (
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia/Shanghia"',
            'library.timezone: "Asia/Shanghia" is not a known time zone;'
            ' expected an IANA name such as "Asia/Shanghai"',
        ),
        (
            'outside_windows = "teachers"',
            'outside_windows = "all"',
            'loans.outside_windows: "all" is not allowed; expected one of teachers, everyone,'
            " nobody",
        ),
        (
            "open = [2026-09-27, 2026-10-10]",
            "open = [2026-08-29, 2026-10-10]",
            "term.open: 2026-08-29 is outside the term (2026-09-01 to 2027-01-22)",
        ),
        (
            "open = [2026-09-27, 2026-10-10]",
            "open = [2026-09-27, 2026-10-01]",
            "term.open: 2026-10-01 is also in term.closed",
        ),
        (
            'closed_weekdays = ["sat", "sun"]',
            'closed_weekdays = ["sat", "sundy"]',
            'term.closed_weekdays: "sundy" is not a weekday; expected one of mon, tue, wed,'
            " thu, fri, sat, sun (or monday…sunday, 周一…周日, 星期一…星期日)",
        ),
        (
            "idle_seconds = 20",
            "idle_seconds = 0",
            "session.idle_seconds: expected a number of seconds above 0, at most 3600, found 0",
        ),
        (
            "duplicate_scan_seconds = 3",
            "duplicate_scan_seconds = -1",
            "loans.duplicate_scan_seconds: expected a number of seconds of 0 or more, "
            "at most 3600, found -1",
        ),
        (
            "overdue_blocks_borrowing = true",
            'overdue_blocks_borrowing = "yes"',
            'loans.overdue_blocks_borrowing: expected true or false, found "yes"',
        ),
        (
            'languages = ["zh_CN", "en"]',
            'languages = ["zh-CN", "en"]',
            'library.languages: expected a language such as "zh_CN" or "en", found "zh-CN"',
        ),
        (
            'name = "2026年秋季学期"',
            'name = ""',
            'term.name: expected a text in quotes, found ""',
        ),
        (
            "start = 2026-09-01",
            "start = 2026-09-01T08:00:00",
            "term.start: expected a date such as 2026-09-01, found 2026-09-01 08:00:00",
        ),
    ],
)
def test_each_mistake_is_named_by_its_key(old: str, new: str, problem: str) -> None:
    assert old in EXAMPLE
    with pytest.raises(PolicyError) as caught:
        parse_policy(EXAMPLE.replace(old, new, 1))
    assert problem in caught.value.problems
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # The first line, and a last line saved without a final newline (as Notepad does).
        ("start = 2026-9-1\n[library]\n", "start: 2026-9-1 is not a date; expected one such as "
         "2026-09-01 (line 1)"),
        (MINIMAL.rstrip("\n").replace("2027-01-22", "2027-1-22"), "term.end: 2027-1-22 is not a "
         "date; expected one such as 2026-09-01 (line 9)"),
    ],
)  # fmt: skip
def test_a_bad_date_on_the_first_or_last_line_is_named(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.problems == (problem,)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("[library]", "library: missing; expected a [library] table with name and timezone"),
        ("[term]", "term: missing; expected a [term] table with name, start and end"),
    ],
)
def test_the_library_and_term_sections_are_required(section: str, problem: str) -> None:
    text = EXAMPLE.replace(section, "[unused]")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert problem in caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    text = EXAMPLE.replace("days = 14", "days = 0").replace(
        'weekdays = ["tue"]', 'weekdays = ["tu"]'
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert [p.split(":")[0] for p in caught.value.problems] == ["loans.days", "windows[1].weekdays"]


@pytest.mark.parametrize(
    "text",
    ["", "a = 1", "[library]\nname = 1", "windows = 3", "[[windows]]\n", "term = []", "\x00"],
)
def test_nonsense_gives_problems_not_a_crash(text: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.problems
    assert all(":" in problem for problem in caught.value.problems)


@pytest.mark.parametrize(
    ("pattern", "bad", "problem"),
    [
        (r"languages = \[.*?\]", "languages = []",
         'library.languages: expected at least one language such as "zh_CN", found a list'),
        (r"books_per_term = \d+", "books_per_term = 0",
         "targets.books_per_term: expected a whole number from 1 to 1000, found 0"),
        (r"grade_3 = 2", "grade_3 = 0",
         "loans.max_books.grade_3: expected a whole number from 1 to 1000, found 0"),
        (r"\[loans.days_by_role\]\nteacher = 30", "[loans.days_by_role]\nteacher = 0",
         "loans.days_by_role.teacher: expected a whole number from 1 to 366, found 0"),
        (r"idle_seconds = 20", "idle_seconds = 0",
         "session.idle_seconds: expected a number of seconds above 0, at most 3600, found 0"),
        (r'outside_windows = "teachers"', 'outside_windows = "grown-ups"',
         'loans.outside_windows: "grown-ups" is not allowed; expected one of teachers, everyone, '
         "nobody"),
    ],
)  # fmt: skip
def test_each_value_the_librarian_can_get_wrong_is_named_with_its_key(
    pattern: str, bad: str, problem: str
) -> None:
    source = EXAMPLE
    broken, replaced = re.subn(pattern, bad, source, count=1)
    assert replaced == 1
    with pytest.raises(PolicyError) as refused:
        parse_policy(broken)
    assert refused.value.problems == (problem,)
