"""Jinja2, the only importer of it: one environment per language, autoescaped, strict.

Each environment has its language's gettext installed (``{{ _("Today") }}``). A sentence comes
back as text, escaped, never as markup (the catalogue holds none): Jinja's own gettext marks
whatever ``_()`` is given as safe, which would let a value from the data that reaches ``_()``
(an inbox kind this version has no label for) write HTML into the page, and ``%`` in it fail
the page. Values put into a sentence, with ``.format(name=...)`` or ``_("... %(name)s",
name=...)``, are escaped as they go in. Times are shown in the library's timezone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from kiosk.core.codes import not_kept_length
from kiosk.imports.errors import shown
from sync.server.web.i18n import LANGUAGES, N_, catalogue

TEMPLATES = Path(__file__).resolve().parent / "templates"
_CN_GRADES = "一二三四五六七八九"


def class_label(class_name: str | None, language: str) -> str:
    """How a class is written on a page: 三(1)班 / 3-1."""
    if not class_name:
        return "教师" if language == "zh_CN" else "Teachers"
    grade, _, number = class_name.partition("-")
    if language == "zh_CN" and grade.isdigit() and 1 <= int(grade) <= len(_CN_GRADES):
        return f"{_CN_GRADES[int(grade) - 1]}({number})班"
    return class_name


def _sentence(text: str, values: Mapping[str, Any]) -> Markup:
    """``text`` as escaped text; ``values`` escaped into its ``%(name)s`` places, if any (a
    sentence without values is not a format: a ``%`` in it stays a ``%``)."""
    sentence = escape(text)
    return sentence % values if values else sentence


def _gettext(language: str) -> Any:
    words = catalogue(language)

    def gettext(message: str, /, **values: Any) -> Markup:
        return _sentence(words.get(message, message), values)

    return gettext


def _ngettext(language: str) -> Any:
    """The pages avoid plural forms (Chinese has none); English picks by ``n``."""
    words = catalogue(language)

    def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> Markup:
        chosen = singular if n == 1 else plural
        return _sentence(words.get(chosen, chosen), values)

    return ngettext


@cache
def environment(language: str) -> Environment:
    if language not in LANGUAGES:
        raise ValueError(language)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    words = catalogue(language)
    # Not new-style: that would mark what _gettext returns as safe and %-format it again.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext(language), _ngettext(language), newstyle=False
    )
    env.filters["class_label"] = lambda c: class_label(c, language)
    env.filters["scanned"] = lambda code: _scanned(code, words)
    # A bad file's text as the importers read it (bytes that are not text included): escaped.
    env.filters["as_read"] = shown
    return env


def _scanned(code: str | None, words: Mapping[str, str]) -> str:
    """A refused scan's code as the kiosk kept it; for one it kept only the length of (not a
    library's code: a phone number, an ID number, a QR login), that length in words."""
    length = not_kept_length(code or "")
    if length is None:
        return code or ""
    sentence = N_("not kept: {n} characters")
    return words.get(sentence, sentence).format(n=length)


def render(language: str, name: str, context: Mapping[str, Any]) -> str:
    return environment(language).get_template(name).render(**context)


def formatters(language: str, zone: ZoneInfo) -> dict[str, Any]:
    """Functions templates call to show times and days the library's way."""

    def local_time(value: datetime) -> datetime:
        # A row stored before pushes were bounded may say year 1 or 9999, whose local time
        # lies past what Python holds: shown in UTC rather than failing the page.
        try:
            return value.astimezone(zone)
        except OverflowError:
            return value

    def moment(value: datetime | None, with_day: bool = True) -> str:
        if value is None:
            return "—"
        local = local_time(value)
        if not with_day:
            return f"{local:%H:%M}"
        if language == "zh_CN":
            return f"{local.month}月{local.day}日 {local:%H:%M}"
        return f"{local.day} {local:%b %H:%M}"

    def moment_day(value: datetime) -> str:
        local = local_time(value)
        return f"{local.month}月{local.day}日" if language == "zh_CN" else f"{local.day} {local:%b}"

    def day(value: date | str | None) -> str:
        if value is None or value == "":
            return "—"
        d = date.fromisoformat(value) if isinstance(value, str) else value
        if language == "zh_CN":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {d:%b %Y}"

    def short_day(value: date) -> str:
        return f"{value.month}月{value.day}日" if language == "zh_CN" else f"{value.day} {value:%b}"

    return {"moment": moment, "moment_day": moment_day, "day": day, "short_day": short_day}
