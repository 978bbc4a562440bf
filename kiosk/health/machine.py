"""What the appliance checks ask of the machine, so every check runs on a made-up machine in tests.

``Machine`` is the only way a check looks outside itself: files under ``root`` (``/`` on the Pi,
a scratch directory in tests or for ``kiosk doctor --root``), commands through ``run``, the wall
clock, and probes for the two things no file shows: whether a scanner can be grabbed and what the
server answers. ``kiosk.health.probes`` builds the real one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePath

from kiosk.server_client import ServerFailure


@dataclass(frozen=True)
class Completed:
    """A command's exit status and output; 127 when the command does not exist."""

    returncode: int
    stdout: str = ""
    stderr: str = ""


class Grab(StrEnum):
    """Whether a scanner's device could be taken for the kiosk right now."""

    OK = "ok"
    BUSY = "busy"  # grabbed or locked by a program: the running kiosk, or one that should not be
    FAILED = "failed"


@dataclass(frozen=True)
class GrabResult:
    outcome: Grab
    detail: str = ""


@dataclass(frozen=True)
class ServerAnswer:
    """How the server answered an authenticated request: ``failure`` is None when it took it,
    else the client's word for why not (kiosk.server_client, the sync worker's words too)."""

    failure: ServerFailure | None
    detail: str = ""
    status: int = 0
    milliseconds: int = 0


@dataclass(frozen=True)
class DiskUsage:
    total: int
    free: int


@dataclass(frozen=True)
class Machine:
    root: Path
    run: Callable[[Sequence[str]], Completed]
    now: Callable[[], datetime]
    # grab(device, scheme): open and grab (evdev) or lock (serial) the device, then let go.
    grab: Callable[[Path, str], GrabResult]
    # ask_server(url, token, ca_file): one authenticated request, with TLS verified.
    ask_server: Callable[[str, str, Path | None], ServerAnswer]
    disk_usage: Callable[[Path], DiskUsage]
    # as_owner(path): act as the owner of path meanwhile (root must not create files in the
    # kiosk's data that the kiosk then cannot open, such as SQLite's -wal file).
    as_owner: Callable[[Path], AbstractContextManager[None]]
    # Under --root nothing runs that needs the booted system: units, clock, kernel log.
    booted: bool = True

    def path(self, system_path: str | PurePath) -> Path:
        """A path of the appliance (``/var/lib/...``) on this machine."""
        return self.root / Path(system_path).relative_to("/")
