"""Reader URLs: ``scheme:target?options`` parsed into a checked ReaderSpec, with the defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args
from urllib.parse import unquote

from hardware.codes import Role
from hardware.errors import ReaderUrlError
from hardware.framing import TERMINATORS, Terminator
from hardware.rdm6300 import CardFormat

SCHEMES = ("evdev", "serial", "rdm6300", "evemu", "stdin", "fake")
MAX_LENGTH = 4096

_COMMON = ("role", "name", "debounce", "max_length", "card", "book")
_KEYBOARD = ("timeout", "terminator")
OPTIONS: dict[str, tuple[str, ...]] = {
    "evdev": (*_COMMON, *_KEYBOARD),
    "evemu": (*_COMMON, *_KEYBOARD, "pace"),
    "serial": (*_COMMON, "timeout", "terminator", "baudrate"),
    "stdin": (*_COMMON, "timeout", "terminator"),
    "rdm6300": (*_COMMON, "baudrate", "format", "lifted_after"),
    "fake": _COMMON,
}
_KEY_TERMINATORS = ("enter", "enter,tab")
# A person types at a terminal slower than any time-out a scanner needs, so stdin has none.
_DEFAULT_TIMEOUT = {"stdin": "0"}


@dataclass(frozen=True)
class ReaderSpec:
    """Everything a URL says about one reader.

    Built only by ``parse_reader_url``, which holds the defaults (docs/hardware.md lists them).
    """

    url: str
    scheme: str
    target: str
    source: str
    role: Role
    debounce: float
    max_length: int
    timeout: float
    terminator: str
    baudrate: int
    card_patterns: tuple[re.Pattern[str], ...]
    book_patterns: tuple[re.Pattern[str], ...]
    card_format: CardFormat
    lifted_after: float
    pace: bool

    @property
    def tab_ends_code(self) -> bool:
        return "tab" in self.terminator.split(",")

    @property
    def line_terminator(self) -> Terminator:
        return _line_terminator(self.terminator)

    def patterns_for(self, role: Role) -> tuple[re.Pattern[str], ...]:
        return {Role.CARD: self.card_patterns, Role.BOOK: self.book_patterns}.get(role, ())


def parse_reader_url(url: str) -> ReaderSpec:
    """Parse and check a reader URL; raises ReaderUrlError naming what is wrong."""
    scheme, sep, rest = url.partition(":")
    if not sep or scheme not in SCHEMES:
        raise ReaderUrlError(f"{url!r}: the scheme must be one of {', '.join(SCHEMES)}")
    location, _, query = rest.partition("?")
    target = unquote(location[2:] if location.startswith("//") else location)
    if scheme in ("evdev", "serial", "rdm6300", "evemu") and not target:
        raise ReaderUrlError(f"{url!r}: {scheme}: needs a device or file, e.g. {scheme}:///dev/...")
    options = _parse_query(url, query, OPTIONS[scheme])

    def last(key: str, default: str) -> str:
        return options[key][-1] if key in options else default

    keyboard = scheme in ("evdev", "evemu")
    return ReaderSpec(
        url=url,
        scheme=scheme,
        target=target,
        source=last("name", f"{scheme}:{location}"),
        role=Role(_choice(url, "role", last("role", "any"), tuple(r.value for r in Role))),
        debounce=_number(url, "debounce", last("debounce", "2"), float, 0, 3600),
        max_length=int(_number(url, "max_length", last("max_length", "64"), int, 1, MAX_LENGTH)),
        timeout=_number(
            url, "timeout", last("timeout", _DEFAULT_TIMEOUT.get(scheme, "0.5")), float, 0, 60
        ),
        terminator=_choice(
            url,
            "terminator",
            last("terminator", "enter" if keyboard else "any"),
            _KEY_TERMINATORS if keyboard else TERMINATORS,
        ),
        baudrate=int(_number(url, "baudrate", last("baudrate", "9600"), int, 50, 4_000_000)),
        card_patterns=_patterns(url, "card", options.get("card", [])),
        book_patterns=_patterns(url, "book", options.get("book", [])),
        card_format=_card_format(
            _choice(url, "format", last("format", "decimal"), get_args(CardFormat))
        ),
        lifted_after=_number(url, "lifted_after", last("lifted_after", "0.5"), float, 0, 60),
        pace=_choice(url, "pace", last("pace", "0"), ("0", "1")) == "1",
    )


def _parse_query(url: str, query: str, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    # Not urllib.parse.parse_qs: it turns "+" into a space, and "+" is common in patterns.
    options: dict[str, list[str]] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key = unquote(key)
        if key not in allowed:
            raise ReaderUrlError(
                f"{url!r}: unknown option {key!r}; this scheme takes {', '.join(allowed)}"
            )
        options.setdefault(key, []).append(unquote(value))
    return options


def _choice(url: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ReaderUrlError(f"{url!r}: {key}={value!r}; expected one of {', '.join(allowed)}")
    return value


def _number(
    url: str, key: str, value: str, kind: type[int] | type[float], low: float, high: float
) -> float:
    try:
        number = kind(value)
    except ValueError:
        raise ReaderUrlError(f"{url!r}: {key}={value!r} is not a number") from None
    if not low <= number <= high:
        raise ReaderUrlError(f"{url!r}: {key}={value!r} must be between {low:g} and {high:g}")
    return number


def _patterns(url: str, key: str, values: list[str]) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(v) for v in values)
    except re.error as exc:
        raise ReaderUrlError(f"{url!r}: {key}= is not a regular expression: {exc}") from None


def _line_terminator(value: str) -> Terminator:
    for terminator in TERMINATORS:
        if value == terminator:
            return terminator
    return "any"


def _card_format(value: str) -> CardFormat:
    return "hex" if value == "hex" else "decimal"
