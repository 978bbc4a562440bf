"""The ``[sync]`` table of kiosk.toml: the sync worker's settings, their schema and their check.

Why this lives in ``kiosk`` and not in ``sync``: kiosk.toml is one file, and kiosk/config.py
checks all of it when the app starts, ``[sync]`` included, so a typo in the worker's table stops
`kiosk run` and `kiosk doctor` as it stops `kiosk sync`, with the same words. The kiosk imports
``sync`` only in its composition root (kiosk/commands): the sync extra (pydantic) may
not be installed, and reading a file needs neither. So the table's schema is here, in the
standard library only, and sync/settings.py hands it to the worker with the command line's
overrides.

    [sync]
    server = "https://library.school.example:8443"   # empty: not paired with a server yet
    token_file = "/etc/library-kiosk/sync-token"
    ca_file = "/etc/library-kiosk/server-ca.pem"     # the school's own CA; empty: the system's

Each default is written once, in the shipped kiosk/kiosk.toml: kiosk/config.py reads a school's
file over it, and a :class:`Settings` made in code (`kiosk sync` without ``--config``, a test)
takes its numbers from the shipped ``[sync]`` table. Its paths and server are then unset: the
command line gives them.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.protocol_v1 import MAX_PUSH_EVENTS
from kiosk.shipped import shipped

SYNC_KEYS = (
    "server",
    "token_file",
    "ca_file",
    "connect_timeout",
    "read_timeout",
    "interval",
    "max_backoff",
    "batch_events",
    "retention_days",
)
# The numbers' bounds, lowest and highest (batch_events, a whole number, has its own check).
_BOUNDS: dict[str, tuple[float, float]] = {
    "connect_timeout": (0.1, 300),
    "read_timeout": (0.1, 600),
    "interval": (1, 86400),
    "max_backoff": (1, 86400),
    "retention_days": (1, 3650),
}
# An empty one is the same as leaving it out: not paired yet, or the system's trusted CAs.
_MAY_BE_EMPTY = ("server", "token_file", "ca_file")


class SettingsError(ValueError):
    """A sync setting that cannot be used, as a value: its key, what it takes, what was found.

    ``key`` is the setting's name (``interval``), or the command-line option (``--server``);
    ``in_table`` says whether it was read from ``[sync]``, which the message then names.
    """

    def __init__(
        self,
        key: str,
        *,
        expected: str = "",
        found: str = "",
        said: str = "",
        in_table: bool = False,
    ) -> None:
        self.key = key
        self.expected = expected  # "a number from 1 to 86400"
        self.found = found  # the value as given: "0", "'often'"
        self.said = said  # a problem that is not a wrong value: "not a sync setting (...)"
        self.in_table = in_table
        super().__init__(f"{'[sync] ' if in_table else ''}{key}: {self.problem}")

    @property
    def problem(self) -> str:
        return f"expected {self.expected}, found {self.found}" if self.expected else self.said


@functools.cache
def _shipped_table() -> Mapping[str, Any]:
    table: Mapping[str, Any] = shipped()["sync"]
    return table


def _shipped_seconds(key: str) -> float:
    return field(default_factory=lambda: float(_shipped_table()[key]))


def _shipped_count(key: str) -> int:
    return field(default_factory=lambda: int(_shipped_table()[key]))


@dataclass(frozen=True)
class Settings:
    db: Path | None = None  # from [kiosk] database, or --db
    kiosk_id: str | None = None  # from [kiosk] id, checked against the database's
    server: str | None = None
    token_file: Path | None = None
    ca_file: Path | None = None
    connect_timeout: float = _shipped_seconds("connect_timeout")
    read_timeout: float = _shipped_seconds("read_timeout")
    interval: float = _shipped_seconds("interval")
    max_backoff: float = _shipped_seconds("max_backoff")
    batch_events: int = _shipped_count("batch_events")
    retention_days: float = _shipped_seconds("retention_days")

    def token(self) -> str:
        """The kiosk's bearer token, read from ``token_file``."""
        if self.token_file is None:
            raise SettingsError(
                "token_file", said="not set (in [sync] of kiosk.toml, or --token-file)"
            )
        try:
            text = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                "token_file", said=f"cannot read {self.token_file} ({exc.strerror})"
            ) from None
        if not text or any(c.isspace() for c in text):
            raise SettingsError(
                "token_file",
                said=f"{self.token_file} should hold the one line `kiosk-server add-kiosk` printed",
            )
        return text

    def complete(self) -> Settings:
        """Check that what a sync needs is there; SettingsError naming what is missing."""
        if self.db is None:
            raise SettingsError("database", said="not set (in [kiosk] of kiosk.toml, or --db)")
        if self.server is None:
            raise SettingsError(
                "server",
                said="not set: this kiosk is not paired with a server yet "
                "(set [sync] server in kiosk.toml, or --server)",
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise SettingsError("ca_file", said=f"{self.ca_file} does not exist")
        self.token()
        return self


def check_table(
    table: Mapping[str, Any],
    base: Path,
    *,
    db: Path | None = None,
    kiosk_id: str | None = None,
) -> tuple[Settings, tuple[SettingsError, ...]]:
    """The ``[sync]`` table's settings, and every problem with it, each naming its key.

    Relative paths are relative to ``base`` (the file's folder); the database and the kiosk's id
    come from ``[kiosk]``. A key the table leaves out keeps the shipped default. The settings
    are only meant to be used when there is no problem.
    """
    found: dict[str, Any] = {"db": db, "kiosk_id": kiosk_id or None}
    problems: list[SettingsError] = []
    for key, value in table.items():
        if value == "" and key in _MAY_BE_EMPTY:
            continue
        try:
            found[key] = _setting(key, value, base)
        except SettingsError as exc:
            problems.append(exc)
    return Settings(**found), tuple(problems)


def from_table(
    table: Mapping[str, Any],
    base: Path,
    *,
    db: Path | None = None,
    kiosk_id: str | None = None,
) -> Settings:
    """:func:`check_table`'s settings; SettingsError for the first problem."""
    settings, problems = check_table(table, base, db=db, kiosk_id=kiosk_id)
    if problems:
        raise problems[0]
    return settings


def _setting(key: str, value: Any, base: Path) -> Any:
    if key == "server":
        return server_url(value, in_table=True)
    if key in ("token_file", "ca_file"):
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(key, expected="a file path", found=repr(value), in_table=True)
        path = Path(value)
        return path if path.is_absolute() else base / path
    if key == "batch_events":
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_PUSH_EVENTS
        ):
            raise SettingsError(
                key,
                expected=f"a whole number from 1 to {MAX_PUSH_EVENTS}",
                found=repr(value),
                in_table=True,
            )
        return value
    if key not in _BOUNDS:
        raise SettingsError(
            key, said=f"not a sync setting (known: {', '.join(SYNC_KEYS)})", in_table=True
        )
    low, high = _BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SettingsError(
            key,
            expected=f"a number from {low:g} to {high:g}",
            found=repr(value),
            in_table=True,
        )
    return float(value)


def server_url(value: Any, key: str = "server", *, in_table: bool = False) -> str:
    """An https URL, or http to this machine only (a test or a demo on loopback)."""
    expected = "a URL such as https://server:8443"
    if not isinstance(value, str):
        raise SettingsError(key, expected=expected, found=repr(value), in_table=in_table)
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(key, expected=expected, found=repr(value), in_table=in_table)
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SettingsError(
            key,
            said=f"{value!r} is not encrypted; use https:// (plain http only to this machine)",
            in_table=in_table,
        )
    return value.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
