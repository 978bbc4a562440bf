"""The bounds of what comes from outside: a kiosk's clocks, imported files, the policy file.

One definition of each, read by the importers (kiosk.imports), the policy reader
(kiosk.core.policy_file) and sync protocol v1 (sync/protocol.py, which the server checks every
push against), so a value one of them accepts is one the others carry. docs/protocol.md lists
them ("Bounds").
"""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime

__all__ = [
    "AUTHOR_CHARS",
    "CATEGORY_CHARS",
    "CODE_CHARS",
    "EARLIEST_DAY",
    "EARLIEST_TIME",
    "LATEST_DAY",
    "LATEST_TIME",
    "MAX_MONO_SECONDS",
    "MAX_TERM_DAYS",
    "POLICY_FIRST_DAY",
    "POLICY_LAST_DAY",
    "PRICE_DIGITS",
    "READER_NAME_CHARS",
    "TITLE_CHARS",
    "breaks_lines",
    "day_problem",
    "mono_problem",
    "time_problem",
]

# --- what a kiosk's clocks can read -------------------------------------------------------
# Every reading a real Pi produces is inside: one without a real-time clock reads 1970-01-01
# after a power cut, a clock module with a dead battery can read 2099. Outside, a time is a
# forgery or a bug, and storing it breaks what is computed from it (a local time past year
# 9999, a loan that never ends). Start inclusive, end exclusive.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)
EARLIEST_DAY = EARLIEST_TIME.date()  # due dates: the same window
LATEST_DAY = LATEST_TIME.date()
# Seconds on a monotonic clock (since boot): 10**9 is more than 31 years of uptime.
MAX_MONO_SECONDS = 10**9

# --- what a person types into the policy file ----------------------------------------------
# Term dates and holidays of a school that runs now (the years `kiosk scan --at` accepts); a
# term is at most a school year, so the weekly pages and the term's counts stay small.
POLICY_FIRST_DAY = date(2000, 1, 1)
POLICY_LAST_DAY = date(2100, 12, 31)
MAX_TERM_DAYS = 366

# --- text, as the server's tables and protocol v1 hold it -----------------------------------
CODE_CHARS = 80  # a card number or barcode (an importer takes at most 64: kiosk.imports.cells)
READER_NAME_CHARS = 40  # a given name
TITLE_CHARS = 400
AUTHOR_CHARS = 400
CATEGORY_CHARS = 64
PRICE_DIGITS = 9  # before the decimal point: 999,999,999 yuan is no book's price


def time_problem(moment: datetime) -> str | None:
    """Why a clock reading cannot be true, or None. ``moment`` is aware."""
    try:
        if EARLIEST_TIME <= moment < LATEST_TIME:
            return None
    except OverflowError:  # year 1 or 9999 with an offset: in UTC it is outside any date
        pass
    return f"a time from {EARLIEST_TIME:%Y-%m-%d} to before {LATEST_TIME:%Y-%m-%d}"


def day_problem(day: date) -> str | None:
    """Why a due date cannot be one a kiosk gave, or None."""
    if EARLIEST_DAY <= day < LATEST_DAY:
        return None
    return f"a day from {EARLIEST_DAY} to before {LATEST_DAY}"


def mono_problem(seconds: float) -> str | None:
    """Why a monotonic reading cannot be one, or None."""
    if math.isfinite(seconds) and 0 <= seconds <= MAX_MONO_SECONDS:
        return None
    return f"seconds from 0 to {MAX_MONO_SECONDS}"


# Control (Cc: TAB, CR, LF, NEL ...), format (Cf: bidi overrides), surrogate, private-use and
# unassigned characters, and the line and paragraph separators. Each can end or hide a line of
# a file such as a KOC export, and none is in a card or barcode a door journals: it journals
# only the codes of readers and copies it knows, which the importers took without spaces or
# control characters (kiosk.imports.cells.code), and a scan loses every C character first
# (kiosk.core.codes.clean_code).
_LINE_BREAKING = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def breaks_lines(text: str) -> bool:
    """Whether ``text`` holds a character that could break or hide a line of a file."""
    return any(unicodedata.category(char) in _LINE_BREAKING for char in text)
