"""Everything the kiosk says, in Simplified Chinese (the default) and English.

Sentences live in gettext catalogues (``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po``) keyed by the
engine's stable message keys, so a translator edits text without touching code.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

from kiosk.core.decisions import Decision

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
_LOCALE_DIR = Path(__file__).parent / "locale"
_DATE_FORMATS = {"zh_CN": "M月d日", "en": "d MMM"}


@cache
def catalogue(language: str, domain: str = "kiosk") -> dict[str, str]:
    """Message key -> sentence for one language (read once per process).

    ``domain`` picks the catalogue: ``kiosk`` (what the door says) or ``health`` (what
    ``kiosk doctor`` says about the appliance).
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)}")
    path = _LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as f:
        parsed = read_po(f, locale=language)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


def format_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A due date as a child reads it: 12月8日 / 8 Dec."""
    return str(format_date(day, _DATE_FORMATS[language], locale=language))


def say(decision: Decision, language: str = DEFAULT_LANGUAGE) -> str:
    """The sentence shown (and spoken) for a decision."""
    template = catalogue(language).get(decision.message_key)
    if template is None:
        # A key without text is a bug, but the child still gets an answer, never a crash.
        template = catalogue(language).get(f"{decision.outcome}.{decision.reason}", "")
    values: dict[str, object] = {
        "name": decision.given_name or "",
        "title": decision.title or "",
        "due": format_day(decision.due, language) if decision.due else "",
        **decision.params,
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
