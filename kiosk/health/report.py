"""How ``kiosk doctor --config`` prints its results: one line per check, or one JSON object each."""

from __future__ import annotations

import json
from typing import Any

from kiosk.health.results import Result, Status
from kiosk.i18n import catalogue

MARKS = {Status.OK: "ok  ", Status.FAIL: "FAIL", Status.SKIPPED: "skip"}


def _say(key: str, params: dict[str, str], language: str) -> str:
    template = catalogue(language, "health").get(key, "")
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def message(result: Result, language: str) -> str:
    return _say(result.key, result.params, language) or result.reason


def fix(result: Result, language: str) -> str:
    return (
        _say(f"{result.key}.fix", result.params, language) if result.status is Status.FAIL else ""
    )


def text_line(result: Result, language: str) -> str:
    title = _say(f"title.{result.check}", {}, language) or result.check
    subject = f" {result.subject}" if result.subject else ""
    what_to_do = fix(result, language)
    line = f"{MARKS[result.status]} {title}{subject}: {message(result, language)}"
    return f"{line} → {what_to_do}" if what_to_do else line


def json_object(result: Result, language: str) -> dict[str, Any]:
    said = message(result, language)
    return {
        "check": result.check,
        "subject": result.subject,
        "ok": result.status is not Status.FAIL,
        "status": result.status.value,
        "reason": result.reason,
        "message": said,
        "fix": fix(result, language),
        "params": result.params,
        "problems": [said] if result.status is Status.FAIL else [],
    }


def json_line(result: Result, language: str) -> str:
    return json.dumps(json_object(result, language), ensure_ascii=False)
