"""The real machine for the appliance checks: files, commands, devices and the network.

The only module of ``kiosk.health`` that touches anything outside the process.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from hardware.errors import MissingExtra
from kiosk.health.machine import (
    Answer,
    Completed,
    DiskUsage,
    Grab,
    GrabResult,
    Machine,
    ServerAnswer,
)
from kiosk.protocol_v1 import WHOAMI_PATH

# An authenticated request that changes nothing on the server: 200 for this kiosk's token, else
# 401. From kiosk/protocol_v1.py, so `kiosk doctor` loads neither the sync package nor pydantic.
TOKEN_CHECK_PATH = WHOAMI_PATH
TIMEOUT_SECONDS = 5.0
# OpenSSL's verify codes the kiosk can tell a person something useful about.
_NOT_YET_VALID, _EXPIRED, _HOSTNAME_MISMATCH, _IP_MISMATCH = 9, 10, 62, 64


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
    """One GET with the kiosk's token, the certificate verified against ``ca_file`` only (or the
    system's trusted CAs when there is none)."""
    parts = urlsplit(url)
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        return ServerAnswer(Answer.UNTRUSTED, f"{ca_file}: {exc}")
    started = time.monotonic()
    connection = http.client.HTTPSConnection(
        parts.hostname or "", parts.port or 443, timeout=TIMEOUT_SECONDS, context=context
    )
    try:
        connection.request(
            "GET",
            parts.path.rstrip("/") + TOKEN_CHECK_PATH,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        response = connection.getresponse()
        response.read(65536)
    except ssl.SSLCertVerificationError as exc:
        answer = {
            _NOT_YET_VALID: Answer.NOT_YET_VALID,
            _EXPIRED: Answer.EXPIRED,
            _HOSTNAME_MISMATCH: Answer.WRONG_NAME,
            _IP_MISMATCH: Answer.WRONG_NAME,
        }.get(exc.verify_code, Answer.UNTRUSTED)
        return ServerAnswer(answer, exc.verify_message or str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return ServerAnswer(Answer.UNREACHABLE, str(exc) or type(exc).__name__)
    finally:
        connection.close()
    ms = round((time.monotonic() - started) * 1000)
    if response.status in (401, 403):
        return ServerAnswer(Answer.TOKEN_REFUSED, response.reason, response.status, ms)
    if 200 <= response.status < 300:
        return ServerAnswer(Answer.OK, "", response.status, ms)
    return ServerAnswer(Answer.BAD_ANSWER, response.reason, response.status, ms)


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
