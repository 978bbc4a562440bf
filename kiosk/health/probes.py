"""The real machine for the appliance checks: files, commands, devices and the network.

The only module of ``kiosk.health`` that touches anything outside the process.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from hardware.errors import MissingExtra
from kiosk.health.machine import (
    Completed,
    DiskUsage,
    Grab,
    GrabResult,
    Machine,
    ServerAnswer,
)
from kiosk.protocol_v1 import WHOAMI_PATH
from kiosk.server_client import ServerError, SyncClient

# An authenticated request that changes nothing on the server: 200 for this kiosk's token, else
# 401. From kiosk/protocol_v1.py, so `kiosk doctor` loads neither the sync package nor pydantic.
TOKEN_CHECK_PATH = WHOAMI_PATH
TIMEOUT_SECONDS = 5.0


def real_machine(root: Path | None = None) -> Machine:
    """This computer; with ``root``, an appliance laid under that directory (nothing runs)."""
    return Machine(
        root=root or Path("/"),
        run=run_command,
        now=lambda: datetime.now(UTC),
        grab=grab_device,
        ask_server=ask_server,
        disk_usage=disk_usage,
        as_owner=as_owner,
        booted=root is None,
    )


def run_command(argv: Sequence[str]) -> Completed:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as exc:
        return Completed(127, "", str(exc))
    except subprocess.TimeoutExpired:
        return Completed(124, "", f"{argv[0]} did not answer within 30 s")
    return Completed(done.returncode, done.stdout, done.stderr)


def grab_device(device: Path, scheme: str) -> GrabResult:
    """Take the device the way the kiosk would, then let it go at once."""
    if scheme == "evdev":
        from hardware.sources.evdev_device import check_access

        try:
            access = check_access(str(device))
        except MissingExtra as exc:
            return GrabResult(Grab.FAILED, str(exc))
        if not access.can_open:
            return GrabResult(Grab.FAILED, access.problem)
        return GrabResult(Grab.OK if access.can_grab else Grab.BUSY, access.problem)
    # A serial port: the same exclusive lock the serial scanner takes, without touching its speed.
    try:
        fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return GrabResult(Grab.FAILED, exc.strerror or str(exc))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return GrabResult(Grab.BUSY, "another program holds the port's lock")
    except OSError as exc:
        return GrabResult(Grab.FAILED, exc.strerror or str(exc))
    finally:
        os.close(fd)  # closing releases the lock
    return GrabResult(Grab.OK)


def ask_server(url: str, token: str, ca_file: Path | None) -> ServerAnswer:
    """One GET with the kiosk's token through the sync worker's own client: the certificate
    verified against ``ca_file`` only (or the system's trusted CAs when there is none), its
    dates too (doctor says when the clock is behind), the answer in the client's words."""
    client = SyncClient(
        url, token, ca_file=ca_file, connect_timeout=TIMEOUT_SECONDS, read_timeout=TIMEOUT_SECONDS
    )
    started = time.monotonic()
    try:
        client.get(TOKEN_CHECK_PATH)
    except ServerError as exc:
        return ServerAnswer(exc.failure, exc.detail, exc.status, _since(started))
    finally:
        client.close()
    return ServerAnswer(None, "", 200, _since(started))


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def disk_usage(path: Path) -> DiskUsage:
    usage = shutil.disk_usage(path)
    return DiskUsage(usage.total, usage.free)


@contextmanager
def as_owner(path: Path) -> Iterator[None]:
    """Whatever SQLite leaves beside ``path`` meanwhile stays its owner's.

    Run as root, ``kiosk doctor`` could otherwise leave a root-owned ``-wal`` file that the
    kiosk then cannot open. (Not seteuid: modules imported meanwhile must stay readable.)
    """
    info = path.stat()
    try:
        yield
    finally:
        if os.geteuid() == 0:
            for suffix in ("-wal", "-shm", ".door-lock"):
                beside = path.with_name(path.name + suffix)
                try:
                    if beside.stat().st_uid != info.st_uid:
                        os.chown(beside, info.st_uid, info.st_gid)
                except FileNotFoundError:
                    pass
