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


class SyncLock:
    """One sync of a kiosk file at a time: an ``flock`` on ``<file>.sync-lock`` beside it.

    Two syncs of one file (the service's worker and an admin's `kiosk sync once`) would send the
    same events and write their answers over each other's. The door's lock already holds the
    database file itself, so this one takes a file of its own, named after the database's real
    path (a symlink or a relative path names the same lock). The holder writes its pid in it, so
    the one that waits can say who it waits for. The system drops the lock when the holder dies.
    """

    def __init__(self, database: Path) -> None:
        real = database.resolve()
        self.path = real.with_name(real.name + ".sync-lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> int | None:
        """The pid the holder wrote, if it is readable."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
