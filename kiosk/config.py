"""The kiosk's settings file (``kiosk.toml``): read, checked key by key, over the shipped defaults.

The defaults are ``kiosk/kiosk.toml`` beside this module; a school's file names only what it
changes. Every problem names its key, and all of them are reported at once, so a typo in
``/etc`` is one clear message at start-up instead of a traceback or a key silently ignored. The
``[sync]`` table is the sync worker's: sync/settings.py checks it, for `kiosk run` as for
`kiosk sync`, so both read the same file the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardware.errors import ReaderUrlError
from hardware.spec import parse_reader_url
from kiosk.core.toml_checks import Checker, show
from sync import settings as sync_settings

DEFAULTS = Path(__file__).with_name("kiosk.toml")
LANGUAGES = ("zh_CN", "en")
ROLES = ("card", "book", "any")
_SIZE = re.compile(r"([1-9][0-9]{2,3})x([1-9][0-9]{2,3})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# PBKDF2-SHA256: in the standard library, and slow enough that a copied config file does not give
# the PIN away in a moment (a 4-6 digit PIN is still guessable offline: keep the file 0640).
_PIN_ITERATIONS = 200_000

SECTIONS: dict[str, tuple[str, ...]] = {
    "kiosk": ("database", "id", "data_dir", "language"),
    "readers[]": ("name", "url", "role"),
    "sounds": ("enabled", "volume"),
    "admin": ("pin_hash", "librarian_cards"),
    "helpers": ("cards",),
    "screens": ("summary_seconds", "return_seconds", "slow_answer_seconds", "fault_retry_seconds"),
    "display": ("fullscreen", "size", "density", "font", "font_bold"),
    "idle": ("new_arrivals", "arrival_seconds"),
    "sync": (),  # checked by sync/settings.py (SYNC_KEYS)
}


class ConfigError(ValueError):
    """The settings file cannot be used as written; the message names every bad key."""


@dataclass(frozen=True)
class ReaderConfig:
    name: str
    url: str
    role: str  # card | book | any


@dataclass(frozen=True)
class Screens:
    summary_seconds: float = 6.0
    return_seconds: float = 20.0
    slow_answer_seconds: float = 0.4
    fault_retry_seconds: float = 5.0


@dataclass(frozen=True)
class Display:
    fullscreen: bool = True
    size: tuple[int, int] = (800, 480)
    density: float = 0.0  # 0: from the window's height
    font: Path | None = None  # None: look for Noto Sans CJK where Debian puts it
    font_bold: Path | None = None


@dataclass(frozen=True)
class KioskConfig:
    database: Path
    data_dir: Path
    kiosk_id: str | None = None
    language: str = "zh_CN"
    readers: tuple[ReaderConfig, ...] = ()
    sounds_enabled: bool = True
    volume: float = 0.7
    pin_hash: str = ""
    librarian_cards: frozenset[str] = frozenset()
    helper_cards: frozenset[str] = frozenset()
    screens: Screens = field(default_factory=Screens)
    display: Display = field(default_factory=Display)
    new_arrivals: tuple[str, ...] = ()
    arrival_seconds: float = 6.0
    # The sync worker's settings (sync/settings.py), with the database and id from [kiosk].
    sync: sync_settings.Settings = field(default_factory=sync_settings.Settings)


def load(path: Path | None) -> KioskConfig:
    """The shipped defaults, with ``path``'s keys over them (None: the defaults alone)."""
    merged = _read(DEFAULTS)
    if path is not None:
        own = _read(path)
        for section, value in own.items():
            if isinstance(value, dict) and isinstance(merged.get(section), dict):
                merged[section] = {**merged[section], **value}
            else:
                merged[section] = value  # [[readers]] replace the default list whole
    try:
        return _check(merged, path.resolve().parent if path is not None else DEFAULTS.parent)
    except ConfigError as exc:
        where = path if path is not None else DEFAULTS
        raise ConfigError(f"{where}: {exc}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the settings file ({exc.strerror or exc})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def _check(doc: Mapping[str, Any], base: Path) -> KioskConfig:
    c = Checker()
    c.unknown_keys(doc, "", [s.removesuffix("[]") for s in SECTIONS])
    kiosk = c.table(doc, "kiosk", "kiosk", SECTIONS["kiosk"]) or {}
    database = _path(c, kiosk, "database", "kiosk.database", base)
    data_dir = _path(c, kiosk, "data_dir", "kiosk.data_dir", base)
    kiosk_id = kiosk.get("id", "")
    if not isinstance(kiosk_id, str):
        c.bad("kiosk.id", "a text in quotes", kiosk_id)
        kiosk_id = ""
    language = kiosk.get("language", "zh_CN")
    if language not in LANGUAGES:
        c.bad("kiosk.language", f"one of {', '.join(LANGUAGES)}", language)
        language = "zh_CN"

    sounds = c.table(doc, "sounds", "sounds", SECTIONS["sounds"]) or {}
    volume = sounds.get("volume", 0.7)
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 1:
        c.bad("sounds.volume", "a number from 0.0 to 1.0", volume)
        volume = 0.7
    admin = c.table(doc, "admin", "admin", SECTIONS["admin"]) or {}
    pin_hash = admin.get("pin_hash", "")
    if not isinstance(pin_hash, str) or (pin_hash and not _is_pin_hash(pin_hash)):
        c.bad("admin.pin_hash", "empty, or a hash printed by `kiosk run --hash-pin`", pin_hash)
        pin_hash = ""
    helpers = c.table(doc, "helpers", "helpers", SECTIONS["helpers"]) or {}
    screens = c.table(doc, "screens", "screens", SECTIONS["screens"]) or {}
    display = c.table(doc, "display", "display", SECTIONS["display"]) or {}
    idle = c.table(doc, "idle", "idle", SECTIONS["idle"]) or {}
    sync_table = doc.get("sync", {})
    if not isinstance(sync_table, dict):
        c.bad("sync", "a table", sync_table)
        sync_table = {}
    try:
        sync = sync_settings.from_table(
            sync_table, base, db=database, kiosk_id=kiosk_id.strip() or None
        )
    except sync_settings.SettingsError as exc:
        c.problems.append(str(exc).replace("[sync] ", "sync.", 1))  # named like the others
        sync = sync_settings.Settings()
    librarians = _cards(c, admin, "librarian_cards", "admin.librarian_cards")
    helper_cards = _cards(c, helpers, "cards", "helpers.cards")
    for card in sorted(librarians & helper_cards):
        c.problems.append(f"helpers.cards: {show(card)} is also a librarian card")
    config = KioskConfig(
        database=database,
        data_dir=data_dir,
        kiosk_id=kiosk_id.strip() or None,
        language=language,
        readers=_readers(c, doc.get("readers", [])),
        sounds_enabled=c.flag(sounds, "enabled", "sounds.enabled", True),
        volume=float(volume),
        pin_hash=pin_hash,
        librarian_cards=librarians,
        helper_cards=helper_cards,
        screens=Screens(
            summary_seconds=c.seconds(
                screens, "summary_seconds", "screens.summary_seconds", 6, above=True
            ),
            return_seconds=c.seconds(
                screens, "return_seconds", "screens.return_seconds", 20, above=True
            ),
            slow_answer_seconds=c.seconds(
                screens, "slow_answer_seconds", "screens.slow_answer_seconds", 0.4, above=True
            ),
            fault_retry_seconds=c.seconds(
                screens, "fault_retry_seconds", "screens.fault_retry_seconds", 5, above=True
            ),
        ),
        display=Display(
            fullscreen=c.flag(display, "fullscreen", "display.fullscreen", True),
            size=_size(c, display.get("size", "800x480")),
            density=_density(c, display.get("density", 0.0)),
            font=_font(c, display, "font"),
            font_bold=_font(c, display, "font_bold"),
        ),
        new_arrivals=tuple(_cards(c, idle, "new_arrivals", "idle.new_arrivals", ordered=True)),
        arrival_seconds=c.seconds(idle, "arrival_seconds", "idle.arrival_seconds", 6, above=True),
        sync=sync,
    )
    if c.problems:
        raise ConfigError("; ".join(c.problems))
    return config


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


def _readers(c: Checker, value: object) -> tuple[ReaderConfig, ...]:
    if not isinstance(value, list):
        c.bad("readers", "tables written [[readers]]", value)
        return ()
    readers: list[ReaderConfig] = []
    for i, entry in enumerate(value):
        key = f"readers[{i + 1}]"
        if not isinstance(entry, dict):
            c.bad(key, "a table", entry)
            continue
        c.unknown_keys(entry, key, SECTIONS["readers[]"])
        name, url, role = entry.get("name"), entry.get("url"), entry.get("role", "any")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            c.bad(f"{key}.name", "letters, digits, '.', '_' or '-' (at most 32)", name)
            continue
        if any(r.name == name for r in readers):
            c.problems.append(f"{key}.name: {show(name)} is the name of another reader")
        if not isinstance(url, str) or not url.strip():
            c.bad(f"{key}.url", 'a reader URL such as "evdev:///dev/library/book-scanner"', url)
            continue
        if role not in ROLES:
            c.bad(f"{key}.role", f"one of {', '.join(ROLES)}", role)
            continue
        problem = _url_problem(url.strip())
        if problem:
            c.problems.append(f"{key}.url: {problem}")
            continue
        readers.append(ReaderConfig(name, url.strip(), role))
    return tuple(readers)


def _url_problem(url: str) -> str | None:
    """What is wrong with a reader URL for the kiosk, said at start-up, naming the key."""
    query = url.partition("?")[2]
    options = {part.partition("=")[0] for part in query.split("&") if part}
    if "role" in options or "name" in options:
        return "give role and name as keys of this table, not in the URL"
    if "debounce" in options:
        return (
            "no debounce in the URL: the policy's loans.duplicate_scan_seconds decides double reads"
        )
    try:
        parse_reader_url(url)
    except ReaderUrlError as exc:
        return str(exc).removeprefix(f"{url!r}: ")
    return None


def _font(c: Checker, display: Mapping[str, Any], name: str) -> Path | None:
    value = display.get(name, "")
    if not isinstance(value, str):
        c.bad(f"display.{name}", "a font file path in quotes, or empty", value)
        return None
    return Path(value).expanduser() if value.strip() else None


def _size(c: Checker, value: object) -> tuple[int, int]:
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        c.bad("display.size", 'WIDTHxHEIGHT such as "800x480"', value)
        return (800, 480)
    return int(match[1]), int(match[2])


def _density(c: Checker, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 8:
        c.bad("display.density", "0 (from the screen) or a number up to 8", value)
        return 0.0
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
