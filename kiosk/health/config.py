"""kiosk.toml as the appliance checks need it: kiosk id, database, scanners and [sync].

The file is read by the kiosk's own settings module (kiosk/config.py, with the shipped defaults
under it), the same way `kiosk run` and `kiosk sync` read it; the first problem it finds becomes
the config check's result, with the key its error names (never parsed back from the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kiosk.config import ConfigError, load
from kiosk.health.results import Result, fail


@dataclass(frozen=True)
class ScannerEntry:
    url: str
    role: str


@dataclass(frozen=True)
class SyncEntry:
    server: str  # "" before the kiosk is paired with a server
    token_file: PurePosixPath
    ca_file: PurePosixPath | None  # None: the system's trusted CAs


@dataclass(frozen=True)
class DoctorConfig:
    """What the checks read of kiosk.toml (kiosk.config.KioskConfig is the whole of it)."""

    kiosk_id: str
    database: PurePosixPath
    scanners: tuple[ScannerEntry, ...]
    sync: SyncEntry | None
    old_names: tuple[str, ...]  # tables spelled as before a rename ([[readers]]): to rename


class ConfigProblem(Exception):  # noqa: N818 - carries a check result, not a traceback
    def __init__(self, result: Result) -> None:
        super().__init__(result.reason)
        self.result = result


def load_config(path: Path) -> DoctorConfig:
    """Parse ``path``; ConfigProblem says which key (or line) is wrong."""
    if not path.exists():
        raise ConfigProblem(fail("config", "missing", path=path))
    try:
        config = load(path)
    except ConfigError as exc:
        raise ConfigProblem(_problem(exc)) from None
    if not config.kiosk_id:
        _bad(path, "kiosk.id", 'needs this kiosk\'s id, e.g. id = "door-1"')
    if not config.scanners:
        _bad(path, "scanners", "needs at least one [[scanners]] table with url and role")
    settings = config.sync
    sync = None
    if settings.token_file is not None:
        sync = SyncEntry(
            settings.server or "",
            PurePosixPath(settings.token_file),
            PurePosixPath(settings.ca_file) if settings.ca_file else None,
        )
    return DoctorConfig(
        config.kiosk_id or "",
        PurePosixPath(config.database),
        tuple(ScannerEntry(r.url, r.role) for r in config.scanners),
        sync,
        config.old_names,
    )


def _problem(error: ConfigError) -> Result:
    """The config check's result for what kiosk/config.py found, read from the error's fields."""
    path = error.path
    if error.unreadable:
        return fail("config", "unreadable", path=path, error=error.unreadable)
    if error.syntax:
        return fail("config", "syntax", path=path, error=error.syntax)
    if not error.bad_keys:
        return fail("config", "bad_key", path=path, key="", problem=error.problem)
    first = error.bad_keys[0]  # the first of them named, as one line has room for
    return fail("config", "bad_key", path=path, key=first.key, problem=first.problem)


def _bad(path: Path, key: str, problem: str) -> None:
    raise ConfigProblem(fail("config", "bad_key", path=path, key=key, problem=problem))
