"""The keys of kiosk.toml the appliance checks need: kiosk id, database, readers and [sync].

Provisional: the touchscreen's configuration module (issue 7) owns kiosk.toml and checks all of
it; at merge this reader gives way to it. Keys it does not know are left alone here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NoReturn

from hardware.errors import ReaderUrlError
from hardware.spec import parse_reader_url
from kiosk.health.results import Result, fail

ROLES = ("card", "book", "any")


@dataclass(frozen=True)
class ReaderEntry:
    url: str
    role: str


@dataclass(frozen=True)
class SyncEntry:
    server: str  # "" before the kiosk is paired with a server
    token_file: PurePosixPath
    ca_file: PurePosixPath


@dataclass(frozen=True)
class KioskConfig:
    kiosk_id: str
    database: PurePosixPath
    readers: tuple[ReaderEntry, ...]
    sync: SyncEntry | None


class ConfigProblem(Exception):  # noqa: N818 - carries a check result, not a traceback
    def __init__(self, result: Result) -> None:
        super().__init__(result.reason)
        self.result = result


def load_config(path: Path) -> KioskConfig:
    """Parse ``path``; ConfigProblem says which key (or line) is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigProblem(fail("config", "missing", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigProblem(fail("config", "unreadable", path=path, error=exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigProblem(fail("config", "syntax", path=path, error=exc)) from None
    kiosk_id = _string(path, data, "kiosk_id")
    database = _absolute(path, data, "database")
    readers = data.get("readers", [])
    if not isinstance(readers, list) or not readers:
        _bad(path, "readers", "needs at least one [[readers]] table with url and role")
    entries = tuple(_reader(path, i, r) for i, r in enumerate(readers, start=1))
    sync = data.get("sync")
    if sync is not None and not isinstance(sync, dict):
        _bad(path, "sync", "must be a table: [sync]")
    return KioskConfig(kiosk_id, database, entries, _sync(path, sync) if sync else None)


def _reader(path: Path, number: int, entry: object) -> ReaderEntry:
    key = f"readers[{number}]"
    if not isinstance(entry, dict):
        _bad(path, key, "must be a table with url and role")
    url = _string(path, entry, "url", prefix=f"{key}.")
    role = _string(path, entry, "role", prefix=f"{key}.")
    if role not in ROLES:
        _bad(path, f"{key}.role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    try:
        parse_reader_url(url)
    except ReaderUrlError as exc:
        _bad(path, f"{key}.url", str(exc))
    return ReaderEntry(url, role)


def _sync(path: Path, table: dict[str, object]) -> SyncEntry:
    server = table.get("server", "")
    if not isinstance(server, str):
        _bad(path, "sync.server", 'must be a string such as "https://library.school:8443"')
    if server and not server.startswith("https://"):
        _bad(path, "sync.server", f"must start with https:// (the kiosk only talks TLS): {server}")
    return SyncEntry(
        server,
        _absolute(path, table, "token_file", prefix="sync."),
        _absolute(path, table, "ca_file", prefix="sync."),
    )


def _string(path: Path, table: dict[str, object], key: str, prefix: str = "") -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        _bad(path, prefix + key, "needs a text value")
    return value


def _absolute(path: Path, table: dict[str, object], key: str, prefix: str = "") -> PurePosixPath:
    value = PurePosixPath(_string(path, table, key, prefix))
    if not value.is_absolute():
        _bad(path, prefix + key, f"must be an absolute path, not {str(value)!r}")
    return value


def _bad(path: Path, key: str, problem: str) -> NoReturn:
    raise ConfigProblem(fail("config", "bad_key", path=path, key=key, problem=problem))
