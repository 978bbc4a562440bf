"""The kiosk's settings file (``kiosk.toml``): read, checked key by key, over the shipped defaults.

The defaults are ``kiosk/kiosk.toml`` beside this module, and only there: a school's file names
only what it changes, and every value is read from the two merged, so no default is written a
second time in code. Every problem is a value naming its key (:class:`BadKey`), and all of them
are reported at once, so a typo in ``/etc`` is one clear message at start-up instead of a
traceback or a key silently ignored, and `kiosk doctor` names the key without parsing the
message. The ``[sync]`` table is the sync worker's: kiosk/sync_settings.py checks it, for
`kiosk run` as for `kiosk sync`, so both read the same file the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.errors import ScannerUrlError
from hardware.spec import parse_scanner_url
from kiosk.core.toml_checks import Checker, show
from kiosk.shipped import DEFAULTS
from kiosk.sync_settings import Settings as SyncSettings
from kiosk.sync_settings import check_table as check_sync_table
from kiosk.voice.settings import KEYS as VOICE_KEYS
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.settings import check_table as check_voice_table

__all__ = [
    "DEFAULTS",
    "LANGUAGES",
    "ROLES",
    "SECTIONS",
    "BadKey",
    "ConfigError",
    "Display",
    "KioskConfig",
    "ScannerConfig",
    "Screens",
    "hash_pin",
    "load",
    "parse_size",
    "pin_matches",
]

LANGUAGES = ("zh_CN", "en")
ROLES = ("card", "book", "any")
_SIZE = re.compile(r"([1-9][0-9]{2,3})x([1-9][0-9]{2,3})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# PBKDF2-SHA256: in the standard library, and slow enough that a copied config file does not give
# the PIN away in a moment (a 4-6 digit PIN is still guessable offline: keep the file 0640).
_PIN_ITERATIONS = 200_000

SECTIONS: dict[str, tuple[str, ...]] = {
    "kiosk": ("database", "id", "data_dir", "language"),
    "scanners[]": ("name", "url", "role"),
    "sounds": ("enabled", "volume"),
    "voice": VOICE_KEYS,  # checked by kiosk/voice/settings.py
    "admin": ("pin_hash", "librarian_cards"),
    "helpers": ("cards",),
    "screens": ("summary_seconds", "return_seconds", "slow_answer_seconds", "fault_retry_seconds"),
    "display": ("fullscreen", "size", "density", "font", "font_bold"),
    "idle": ("new_arrivals", "arrival_seconds"),
    "sync": (),  # checked by kiosk/sync_settings.py (SYNC_KEYS)
}
# Tables a school's file may still spell as an older kiosk.toml did: read under their new name,
# and `kiosk doctor --config` asks for the rename. [[readers]] were the scanners until a reader
# meant only a child.
OLD_NAMES = {"readers": "scanners"}


@dataclass(frozen=True)
class BadKey:
    """One key of the file that cannot be used as written."""

    key: str  # as the file spells it: "sync.interval", "scanners[2].role", "colour"
    expected: str = ""  # what the key takes: "a number from 1 to 86400"
    found: str = ""  # what the file has, as written there: "0", '"fr"'
    said: str = ""  # a problem that is not a wrong value: "unknown key", ...

    @property
    def problem(self) -> str:
        return f"expected {self.expected}, found {self.found}" if self.expected else self.said

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}"


class ConfigError(ValueError):
    """The settings file cannot be used as written.

    Either it cannot be read (``unreadable`` says why), or it is not TOML (``syntax``, the
    parser's words), or some keys are wrong: ``bad_keys``, every one of them, in file order.
    """

    def __init__(
        self,
        path: Path,
        bad_keys: Sequence[BadKey] = (),
        *,
        unreadable: str = "",
        syntax: str = "",
    ) -> None:
        self.path = path
        self.bad_keys = tuple(bad_keys)
        self.unreadable = unreadable
        self.syntax = syntax
        super().__init__(f"{path}: {self.problem}")

    @property
    def problem(self) -> str:
        if self.unreadable:
            return self.unreadable
        if self.syntax:
            return f"not valid TOML: {self.syntax}"
        return "; ".join(map(str, self.bad_keys))


@dataclass(frozen=True)
class ScannerConfig:
    name: str
    url: str
    role: str  # card | book | any


# No defaults in the dataclasses: every value comes from the file over kiosk/kiosk.toml.
@dataclass(frozen=True)
class Screens:
    summary_seconds: float
    return_seconds: float
    slow_answer_seconds: float
    fault_retry_seconds: float


@dataclass(frozen=True)
class Display:
    fullscreen: bool
    size: tuple[int, int]
    density: float  # 0: from the window's height
    font: Path | None  # None: look for Noto Sans CJK where Debian puts it
    font_bold: Path | None


@dataclass(frozen=True)
class KioskConfig:
    database: Path
    data_dir: Path
    kiosk_id: str | None
    language: str
    scanners: tuple[ScannerConfig, ...]
    # Tables the file spells by an old name (OLD_NAMES), each read under the new one.
    old_names: tuple[str, ...]
    sounds_enabled: bool
    volume: float
    voice: VoiceSettings  # spoken answers ([voice], kiosk/voice/settings.py)
    pin_hash: str
    librarian_cards: frozenset[str]
    helper_cards: frozenset[str]
    screens: Screens
    display: Display
    new_arrivals: tuple[str, ...]
    arrival_seconds: float
    # The sync worker's settings (kiosk/sync_settings.py), with the database and id from [kiosk].
    sync: SyncSettings


def load(path: Path | None) -> KioskConfig:
    """The shipped defaults, with ``path``'s keys over them (None: the defaults alone)."""
    defaults = _read(DEFAULTS)
    merged = dict(defaults)
    c = _KeyedChecker()
    old_names: tuple[str, ...] = ()
    if path is not None:
        school, old_names = _new_names(c, _read(path))
        for section, value in school.items():
            if isinstance(value, dict) and isinstance(merged.get(section), dict):
                merged[section] = {**merged[section], **value}
            else:
                merged[section] = value  # [[scanners]] replace the default list whole
    base = path.resolve().parent if path is not None else DEFAULTS.parent
    config = _check(c, merged, defaults, base, old_names)
    if c.bad_keys:
        raise ConfigError(path if path is not None else DEFAULTS, c.bad_keys)
    return config


def _new_names(c: _KeyedChecker, school: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The school's file with its old table names (OLD_NAMES) read as the new ones."""
    renamed: dict[str, Any] = {}
    old_names: list[str] = []
    for section, value in school.items():
        new = OLD_NAMES.get(section)
        if new is None:
            renamed[section] = value
        elif new in school:
            c.said(section, f"written as well as [[{new}]]: keep only [[{new}]]")
        else:
            renamed[new] = value
            old_names.append(section)
    return renamed, tuple(old_names)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        why = f"cannot read the settings file ({exc.strerror or exc})"
        raise ConfigError(path, unreadable=why) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, syntax=str(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(path, unreadable="not UTF-8 text; save it as UTF-8") from None


class _KeyedChecker(Checker):
    """kiosk.core's TOML checks, each problem kept as a :class:`BadKey` (only the methods
    overridden here are used on kiosk.toml)."""

    def __init__(self) -> None:
        super().__init__()
        self.bad_keys: list[BadKey] = []

    def bad(self, key: str, expected: str, value: object) -> None:
        self.bad_keys.append(BadKey(key, expected, show(value)))

    def unknown_keys(self, table: Mapping[str, object], key: str, known: Iterable[str]) -> None:
        prefix = f"{key}." if key else ""
        known = tuple(known)
        self.bad_keys.extend(
            BadKey(f"{prefix}{name}", said="unknown key") for name in table if name not in known
        )

    def missing(self, key: str, expected: str) -> None:
        self.bad_keys.append(BadKey(key, said=f"missing; expected {expected}"))

    def said(self, key: str, problem: str) -> None:
        self.bad_keys.append(BadKey(key, said=problem))


# A bad value is recorded and stands in for a value of its type; load() raises before any of
# them is used. Checker's methods take a fallback for a key the table lacks: every table here
# has every key (the shipped file is under it), so the fallback is never read either.
_UNUSED = math.nan


def _check(
    c: _KeyedChecker,
    doc: Mapping[str, Any],
    defaults: Mapping[str, Any],
    base: Path,
    old_names: tuple[str, ...],
) -> KioskConfig:
    c.unknown_keys(doc, "", [s.removesuffix("[]") for s in SECTIONS])

    def section(name: str) -> Mapping[str, Any]:
        # A section written as something else than a table is reported; the shipped one
        # stands in, so the keys under it can still be read.
        table = c.table(doc, name, name, SECTIONS[name])
        return table if table is not None else defaults[name]

    kiosk = section("kiosk")
    database = _path(c, kiosk, "database", "kiosk.database", base)
    data_dir = _path(c, kiosk, "data_dir", "kiosk.data_dir", base)
    kiosk_id = kiosk["id"]
    if not isinstance(kiosk_id, str):
        c.bad("kiosk.id", "a text in quotes", kiosk_id)
        kiosk_id = ""
    language = kiosk["language"]
    if language not in LANGUAGES:
        c.bad("kiosk.language", f"one of {', '.join(LANGUAGES)}", language)

    sounds = section("sounds")
    volume = sounds["volume"]
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 1:
        c.bad("sounds.volume", "a number from 0.0 to 1.0", volume)
        volume = _UNUSED
    admin = section("admin")
    pin_hash = admin["pin_hash"]
    if not isinstance(pin_hash, str) or (pin_hash and not _is_pin_hash(pin_hash)):
        c.bad("admin.pin_hash", "empty, or a hash printed by `kiosk run --hash-pin`", pin_hash)
    helpers = section("helpers")
    screens = section("screens")
    display = section("display")
    idle = section("idle")
    sync = _sync(c, doc, defaults, base, database, kiosk_id.strip() or None)
    librarians = _cards(c, admin, "librarian_cards", "admin.librarian_cards")
    helper_cards = _cards(c, helpers, "cards", "helpers.cards")
    for card in sorted(librarians & helper_cards):
        c.said("helpers.cards", f"{show(card)} is also a librarian card")
    return KioskConfig(
        database=database,
        data_dir=data_dir,
        kiosk_id=kiosk_id.strip() or None,
        language=language,
        # A bad key is named as the file spells it: [[readers]] in a file not yet renamed.
        scanners=_scanners(c, doc["scanners"], "readers" if "readers" in old_names else "scanners"),
        old_names=old_names,
        sounds_enabled=c.flag(sounds, "enabled", "sounds.enabled", False),
        volume=float(volume),
        voice=check_voice_table(c, section("voice"), base),
        pin_hash=pin_hash,
        librarian_cards=librarians,
        helper_cards=helper_cards,
        screens=Screens(
            summary_seconds=_seconds(c, screens, "screens", "summary_seconds"),
            return_seconds=_seconds(c, screens, "screens", "return_seconds"),
            slow_answer_seconds=_seconds(c, screens, "screens", "slow_answer_seconds"),
            fault_retry_seconds=_seconds(c, screens, "screens", "fault_retry_seconds"),
        ),
        display=Display(
            fullscreen=c.flag(display, "fullscreen", "display.fullscreen", False),
            size=_size(c, display["size"]),
            density=_density(c, display["density"]),
            font=_font(c, display, "font"),
            font_bold=_font(c, display, "font_bold"),
        ),
        new_arrivals=tuple(_cards(c, idle, "new_arrivals", "idle.new_arrivals", ordered=True)),
        arrival_seconds=_seconds(c, idle, "idle", "arrival_seconds"),
        sync=sync,
    )


def _sync(
    c: _KeyedChecker,
    doc: Mapping[str, Any],
    defaults: Mapping[str, Any],
    base: Path,
    database: Path,
    kiosk_id: str | None,
) -> SyncSettings:
    table = doc["sync"]
    if not isinstance(table, dict):
        c.bad("sync", "a table", table)
        table = defaults["sync"]
    settings, problems = check_sync_table(table, base, db=database, kiosk_id=kiosk_id)
    for problem in problems:  # named like the others: sync.interval
        c.bad_keys.append(
            BadKey(f"sync.{problem.key}", problem.expected, problem.found, problem.said)
        )
    return settings


def _seconds(c: Checker, table: Mapping[str, Any], section: str, name: str) -> float:
    return c.seconds(table, name, f"{section}.{name}", _UNUSED, above=True)


def _path(c: Checker, table: Mapping[str, Any], name: str, key: str, base: Path) -> Path:
    """A path of the file; a relative one is relative to the file's own folder, as for the sync
    worker's paths (a service's working directory says nothing)."""
    value = table.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        c.bad(key, "a file or folder path in quotes", value)
        return Path()
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _cards(
    c: Checker, table: Mapping[str, Any], name: str, key: str, *, ordered: bool = False
) -> Any:
    found: list[str] = []
    for value in c.items(table, name, key):
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            c.bad(key, "a list of card numbers or barcodes in quotes", value)
        else:
            found.append(value.strip())
    return tuple(dict.fromkeys(found)) if ordered else frozenset(found)


# The heartbeat carries at most 16 lines of device states (protocol v1), one of them the
# screen's: more scanners would have every heartbeat refused and the Today page never updated.
MAX_SCANNERS = 15


def _scanners(c: _KeyedChecker, value: object, spelled: str) -> tuple[ScannerConfig, ...]:
    if not isinstance(value, list):
        c.bad(spelled, f"tables written [[{spelled}]]", value)
        return ()
    if len(value) > MAX_SCANNERS:
        c.said(spelled, f"at most {MAX_SCANNERS} scanners, found {len(value)}")
        return ()
    scanners: list[ScannerConfig] = []
    for i, entry in enumerate(value):
        key = f"{spelled}[{i + 1}]"
        if not isinstance(entry, dict):
            c.bad(key, "a table", entry)
            continue
        c.unknown_keys(entry, key, SECTIONS["scanners[]"])
        # A scanner's role may be left out (any): its table is the school's own, whole, with no
        # shipped table under it.
        name, url, role = entry.get("name"), entry.get("url"), entry.get("role", "any")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            c.bad(f"{key}.name", "letters, digits, '.', '_' or '-' (at most 32)", name)
            continue
        if any(r.name == name for r in scanners):
            c.said(f"{key}.name", f"{show(name)} is the name of another scanner")
        if not isinstance(url, str) or not url.strip():
            c.bad(f"{key}.url", 'a scanner URL such as "evdev:///dev/library/book-scanner"', url)
            continue
        if role not in ROLES:
            c.bad(f"{key}.role", f"one of {', '.join(ROLES)}", role)
            continue
        problem = _url_problem(url.strip())
        if problem:
            c.said(f"{key}.url", problem)
            continue
        scanners.append(ScannerConfig(name, url.strip(), role))
    return tuple(scanners)


def _url_problem(url: str) -> str | None:
    """What is wrong with a scanner URL for the kiosk, said at start-up, naming the key."""
    query = url.partition("?")[2]
    options = {part.partition("=")[0] for part in query.split("&") if part}
    if "role" in options or "name" in options:
        return "give role and name as keys of this table, not in the URL"
    if "debounce" in options:
        return (
            "no debounce in the URL: the policy's loans.duplicate_scan_seconds decides double reads"
        )
    try:
        parse_scanner_url(url)
    except ScannerUrlError as exc:
        return str(exc).removeprefix(f"{url!r}: ")
    return None


def _font(c: Checker, display: Mapping[str, Any], name: str) -> Path | None:
    value = display[name]
    if not isinstance(value, str):
        c.bad(f"display.{name}", "a font file path in quotes, or empty", value)
        return None
    return Path(value).expanduser() if value.strip() else None


def _size(c: Checker, value: object) -> tuple[int, int]:
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        c.bad("display.size", 'WIDTHxHEIGHT such as "800x480"', value)
        return (0, 0)
    return int(match[1]), int(match[2])


def _density(c: Checker, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 8:
        c.bad("display.density", "0 (from the screen) or a number up to 8", value)
        return _UNUSED
    return float(value)


def parse_size(text: str) -> tuple[int, int]:
    """``--size WxH``; ValueError with a sentence when it is not one."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"--size: expected WIDTHxHEIGHT such as 800x480, found {text!r}")
    return int(match[1]), int(match[2])


# -- the admin PIN ------------------------------------------------------------------------------


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` for ``admin.pin_hash``."""
    if not re.fullmatch(r"[0-9]{4,12}", pin):
        raise ValueError("a PIN is 4 to 12 digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _PIN_ITERATIONS)
    return f"pbkdf2_sha256${_PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    if not stored or not _is_pin_hash(stored):
        return False
    _, iterations, salt, digest = stored.split("$")
    mine = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(mine.hex(), digest)


def _is_pin_hash(text: str) -> bool:
    return (
        re.fullmatch(r"pbkdf2_sha256\$[0-9]{4,7}\$[0-9a-f]{16,64}\$[0-9a-f]{64}", text) is not None
    )
