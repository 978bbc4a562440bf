"""How commands print: times in the library's zone, JSON lines, decisions as a person reads them."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.decisions import Decision, Outcome
from kiosk.i18n import catalogue, format_day, say

SYMBOLS = {
    Outcome.SESSION_STARTED: "▶",
    Outcome.SESSION_ENDED: "◀",
    Outcome.BORROWED: "✔",
    Outcome.RENEWED: "↻",
    Outcome.RETURNED: "✔",
    Outcome.DAMAGE_REPORTED: "✎",
    Outcome.REFUSED: "✖",
    Outcome.IGNORED: "·",
}


class BadTimeError(ValueError):
    """A --at value that is not a time; the command line reports it as a usage error."""


def parse_time(text: str | None, timezone: str) -> datetime:
    """An ISO-8601 date or time (now if None); without an offset it is the library's local time."""
    if text is None:
        return datetime.now(UTC)
    expected = "an ISO-8601 time between the years 2000 and 2100, such as 2026-11-23T12:15"
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text.strip()), time(0))
        except ValueError:
            raise BadTimeError(f"--at: expected {expected}, found {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    if not 2000 <= parsed.year <= 2100:
        # Also keeps every later step (a due date, @wait=86400) inside what dates can hold.
        raise BadTimeError(f"--at: expected {expected}, found {text!r}")
    return parsed.astimezone(UTC)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns: a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)


def decision_json(decision: Decision, language: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "code": decision.code,
        "outcome": decision.outcome.value,
        "reason": decision.reason.value,
        "message_key": decision.message_key,
        "message": say(decision, language),
    }
    optional = {
        "reader": decision.reader,
        "given_name": decision.given_name,
        "barcode": decision.barcode,
        "title": decision.title,
        "due": decision.due.isoformat() if decision.due else None,
    }
    obj.update({k: v for k, v in optional.items() if v is not None})
    if decision.flags:
        obj["flags"] = [f.value for f in decision.flags]
    if decision.params:
        obj["params"] = decision.params
    return obj


def decision_text(decision: Decision, language: str) -> str:
    code = decision.code or ""
    reason = f"  [{decision.reason.value}]" if decision.outcome is Outcome.REFUSED else ""
    line = f"{SYMBOLS[decision.outcome]} {pad(code, 16)} {say(decision, language)}{reason}"
    return line + _reserved(decision, language) + _recall(decision, language)


def _reserved(decision: Decision, language: str) -> str:
    """The reader's own reservations waiting on the shelf, as the greeting on the screen says."""
    titles = str(decision.params.get("reserved", "")).splitlines()
    if not titles:
        return ""
    words = catalogue(language)
    quoted = "“{}”" if language == "en" else "《{}》"
    shown = words["ui.list_separator"].join(quoted.format(t) for t in titles)
    return " " + words["ui.session.reserved"].format(titles=shown)


def _recall(decision: Decision, language: str) -> str:
    """The term ends soon: bring every book back by its last day, as the screen says it."""
    last_day = str(decision.params.get("recall", ""))
    if not last_day:
        return ""
    day = format_day(date.fromisoformat(last_day), language)
    return " " + catalogue(language)["ui.session.recall"].format(day=day)


def error(message: str) -> None:
    print(f"kiosk: {message}", file=sys.stderr)
