"""One door per database file: an exclusive ``flock`` on the file itself.

Two doors on one file would each believe they own the open session and end each other's. A lock
file beside the database could be bypassed by a symlink or another relative path (each would get
its own lock file); the database file itself is the same file whatever the path. ``flock`` locks
are independent of the POSIX locks SQLite takes on the same file, and the system releases them
when the process dies, so a crash never leaves the door stuck.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class DoorBusyError(Exception):
    """Another program already runs the door on this file."""


class DoorLock:
    def __init__(self, path: Path) -> None:
        self._fd: int | None = None
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DoorBusyError from None
        self._fd = fd

    def release(self) -> None:
        """Call after the SQLite connection is closed.

        Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
        included; with the connection closed first there are none left to drop.
        """
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
