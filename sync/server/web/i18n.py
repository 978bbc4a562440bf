"""The pages' words in Simplified Chinese (the default) and English.

Templates and code are written with English sentences (the gettext convention, so a template
reads as what it shows); ``locale/zh_CN/LC_MESSAGES/web.po`` gives each its Chinese, read with
Babel as the kiosk reads its own catalogue (kiosk.i18n). English needs no catalogue. A test
extracts every sentence from the templates and the code and fails if one has no Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

Translate = Callable[[str], str]


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """English sentence -> the sentence in ``language`` (empty for English itself)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    path = LOCALE_DIR / language / "LC_MESSAGES" / "web.po"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        parsed = read_po(f, locale=language)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


def translator(language: str) -> Translate:
    """``t("Today")`` -> ``今天``; a sentence without a translation is shown in English."""
    words = catalogue(language)

    def t(message: str) -> str:
        return words.get(message, message)

    return t


def choose(cookie: str | None) -> str:
    """The language of a request: the one the visitor chose, else Simplified Chinese (the
    school's language, whatever the office PC's browser was set up with)."""
    return str(cookie) if cookie in LANGUAGES else DEFAULT_LANGUAGE


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translate later")
    """Marks a sentence for the catalogue where it is defined; it is translated when shown."""
    return message
