"""Scanner URLs: ``scheme:target?options`` parsed into a checked ScannerSpec, with the defaults."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import get_args
from urllib.parse import unquote

from hardware.codes import ScannerRole
from hardware.errors import ScannerUrlError
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
_LINE_TERMINATORS: dict[str, Terminator] = {t: t for t in TERMINATORS}
_CARD_FORMATS: dict[str, CardFormat] = {f: f for f in get_args(CardFormat)}
# A person types at a terminal slower than any time-out a scanner needs, so stdin has none.
_DEFAULT_TIMEOUT = {"stdin": "0"}


@dataclass(frozen=True)
class ScannerSpec:
    """Everything a URL says about one scanner.

    Built only by ``parse_scanner_url``, which holds the defaults (docs/hardware.md lists them).
    """

    url: str
    scheme: str
    target: str
    source: str
    role: ScannerRole
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
        return _LINE_TERMINATORS.get(self.terminator, "any")

    def patterns_for(self, role: ScannerRole) -> tuple[re.Pattern[str], ...]:
        return {ScannerRole.CARD: self.card_patterns, ScannerRole.BOOK: self.book_patterns}.get(
            role, ()
        )


def parse_scanner_url(url: str) -> ScannerSpec:
    """Parse and check a scanner URL; raises ScannerUrlError naming what is wrong."""
    scheme, sep, rest = url.partition(":")
    if not sep or scheme not in SCHEMES:
        raise ScannerUrlError(f"{url!r}: the scheme must be one of {', '.join(SCHEMES)}")
    location, _, query = rest.partition("?")
    target = unquote(location[2:] if location.startswith("//") else location)
    _check_target(url, scheme, target)
    options = _parse_query(url, query, OPTIONS[scheme])

    def last(key: str, default: str) -> str:
        return options[key][-1] if key in options else default

    keyboard = scheme in ("evdev", "evemu")
    return ScannerSpec(
        url=url,
        scheme=scheme,
        target=target,
        source=last("name", f"{scheme}:{location}"),
        role=ScannerRole(
            _choice(url, "role", last("role", "any"), tuple(r.value for r in ScannerRole))
        ),
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
        card_format=_CARD_FORMATS[
            _choice(url, "format", last("format", "decimal"), tuple(_CARD_FORMATS))
        ],
        lifted_after=_number(url, "lifted_after", last("lifted_after", "0.5"), float, 0, 60),
        pace=_choice(url, "pace", last("pace", "0"), ("0", "1")) == "1",
    )


def _check_target(url: str, scheme: str, target: str) -> None:
    """Refuse targets that could never open, so the mistake shows at start-up, not at runtime."""
    if scheme in ("stdin", "fake"):
        if target:
            raise ScannerUrlError(f"{url!r}: {scheme}: takes no target, e.g. {scheme}:?role=card")
        return
    if not target:
        raise ScannerUrlError(
            f"{url!r}: {scheme}: needs a device or file, e.g. {scheme}:///dev/..."
        )
    if any(unicodedata.category(ch).startswith("C") for ch in target):
        raise ScannerUrlError(
            f"{url!r}: the target {target!r} contains a control character (a stray %00 or %0A?)"
        )
    if scheme in ("serial", "rdm6300") and not target.startswith("/"):
        raise ScannerUrlError(
            f"{url!r}: {scheme}: needs the absolute path of a serial port, with three slashes: "
            f"{scheme}:///dev/ttyUSB0"
        )
    if scheme == "evdev" and target.startswith("dev/"):
        # Not a device name: the slash of /dev/input/... is missing (two slashes, not three).
        raise ScannerUrlError(
            f"{url!r}: evdev: a device path needs three slashes: evdev:///{target}"
        )


def _parse_query(url: str, query: str, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    # Not urllib.parse.parse_qs: it turns "+" into a space, and "+" is common in patterns.
    options: dict[str, list[str]] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key = unquote(key)
        if key not in allowed:
            raise ScannerUrlError(
                f"{url!r}: unknown option {key!r}; this scheme takes {', '.join(allowed)}"
            )
        options.setdefault(key, []).append(unquote(value))
    return options


def _choice(url: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ScannerUrlError(f"{url!r}: {key}={value!r}; expected one of {', '.join(allowed)}")
    return value


def _number(
    url: str, key: str, value: str, kind: type[int] | type[float], low: float, high: float
) -> float:
    try:
        number = kind(value)
    except ValueError:
        raise ScannerUrlError(f"{url!r}: {key}={value!r} is not a number") from None
    if not low <= number <= high:
        raise ScannerUrlError(f"{url!r}: {key}={value!r} must be between {low:g} and {high:g}")
    return number


def _patterns(url: str, key: str, values: list[str]) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(v) for v in values)
    except re.error as exc:
        raise ScannerUrlError(f"{url!r}: {key}= is not a regular expression: {exc}") from None
