"""The sync worker's settings: the ``[sync]`` table of kiosk.toml, then the command line.

kiosk.toml is shared with the touchscreen app: kiosk/config.py reads the whole file (its shipped
defaults under it) and hands the ``[sync]`` table to :func:`from_table`, which checks every key
and names the one that is wrong; the kiosk's database and id come from ``[kiosk]``. So `kiosk run`
and `kiosk sync` read the same file the same way. ``--db``, ``--server``, ``--token-file`` and
``--ca-file`` override the file.

    [kiosk]
    database = "/var/lib/library-kiosk/kiosk.db"
    id = "door-1"

    [sync]
    server = "https://library.school.example:8443"   # empty: not paired with a server yet
    token_file = "/etc/library-kiosk/sync-token"
    ca_file = "/etc/library-kiosk/server-ca.pem"     # the school's own CA; empty: the system's
    connect_timeout = 5                      # seconds
    read_timeout = 30
    interval = 60                            # seconds between syncs when all is well
    max_backoff = 900                        # the longest wait after failures
    batch_events = 500                       # events per push
    retention_days = 30                      # acknowledged events kept this long on the kiosk
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sync.limits import MAX_PUSH_EVENTS

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


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what was expected."""


@dataclass(frozen=True)
class Settings:
    db: Path | None = None
    kiosk_id: str | None = None  # from kiosk.toml, checked against the database's
    server: str | None = None
    token_file: Path | None = None
    ca_file: Path | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    interval: float = 60.0
    max_backoff: float = 900.0
    batch_events: int = MAX_PUSH_EVENTS
    retention_days: float = 30.0

    def token(self) -> str:
        """The kiosk's bearer token, read from ``token_file``."""
        if self.token_file is None:
            raise SettingsError("token_file: not set (in [sync] of kiosk.toml, or --token-file)")
        try:
            text = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"token_file: cannot read {self.token_file} ({exc.strerror})"
            ) from None
        if not text or any(c.isspace() for c in text):
            raise SettingsError(
                f"token_file: {self.token_file} should hold the one line `kiosk-server add-kiosk` "
                "printed"
            )
        return text

    def complete(self) -> Settings:
        """Check that what a sync needs is there; SettingsError naming what is missing."""
        if self.db is None:
            raise SettingsError("database: not set (in [kiosk] of kiosk.toml, or --db)")
        if self.server is None:
            raise SettingsError(
                "server: not set: this kiosk is not paired with a server yet "
                "(set [sync] server in kiosk.toml, or --server)"
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise SettingsError(f"ca_file: {self.ca_file} does not exist")
        self.token()
        return self


def _number(key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SettingsError(
            f"[sync] {key}: expected a number from {low:g} to {high:g}, found {value!r}"
        )
    return float(value)


def server_url(value: Any, key: str = "server") -> str:
    """An https URL, or http to this machine only (a test or a demo on loopback)."""
    if not isinstance(value, str):
        raise SettingsError(f"{key}: expected a URL such as https://server:8443, found {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"{key}: expected a URL such as https://server:8443, found {value!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SettingsError(
            f"{key}: {value!r} is not encrypted; use https:// (plain http only to this machine)"
        )
    return value.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _path(key: str, value: Any, base: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"[sync] {key}: expected a file path, found {value!r}")
    path = Path(value)
    return path if path.is_absolute() else base / path


def from_table(
    table: Mapping[str, Any],
    base: Path,
    *,
    db: Path | None = None,
    kiosk_id: str | None = None,
) -> Settings:
    """The ``[sync]`` table's settings; relative paths are relative to ``base`` (the file's
    folder). An empty ``server``, ``token_file`` or ``ca_file`` is the same as leaving it out."""
    found: dict[str, Any] = {"db": db, "kiosk_id": kiosk_id or None}
    for key, value in table.items():
        if key not in SYNC_KEYS:
            raise SettingsError(f"[sync] {key}: not a sync setting (known: {', '.join(SYNC_KEYS)})")
        if value == "" and key in ("server", "token_file", "ca_file"):
            continue
        if key == "server":
            found[key] = server_url(value, "[sync] server")
        elif key in ("token_file", "ca_file"):
            found[key] = _path(key, value, base)
        elif key == "batch_events":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 1 <= value <= MAX_PUSH_EVENTS
            ):
                raise SettingsError(
                    f"[sync] batch_events: expected a whole number from 1 to {MAX_PUSH_EVENTS}, "
                    f"found {value!r}"
                )
            found[key] = value
        else:
            limits = {
                "connect_timeout": (0.1, 300),
                "read_timeout": (0.1, 600),
                "interval": (1, 86400),
                "max_backoff": (1, 86400),
                "retention_days": (1, 3650),
            }
            found[key] = _number(key, value, *limits[key])
    return Settings(**found)


def resolve(
    settings: Settings,
    *,
    db: Path | None = None,
    server: str | None = None,
    token_file: Path | None = None,
    ca_file: Path | None = None,
) -> Settings:
    """``settings`` (from kiosk.toml, or the defaults) with the command line's options over them."""
    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["db"] = db
    if server is not None:
        overrides["server"] = server_url(server, "--server")
    if token_file is not None:
        overrides["token_file"] = token_file
    if ca_file is not None:
        overrides["ca_file"] = ca_file
    return replace(settings, **overrides)
