"""evemu-record files: parsing the device description and the event lines of a recorded scanner."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hardware.errors import DeviceUnavailable, open_failure
from hardware.events import Reason

# "E: 12.345678 0001 001c 0001" -- seconds.microseconds, type and code in hex, value in decimal.
# Every number is bounded: type and code are 16-bit, value 32-bit, and a line of 5000 digits must
# be a bad line, not a conversion error (int() refuses decimal strings over 4300 digits).
_EVENT = re.compile(
    r"E:\s+(\d{1,12})\.(\d{1,6})\s+([0-9a-fA-F]{1,4})\s+([0-9a-fA-F]{1,4})\s+(-?\d{1,10})"
)
_ID = re.compile(r"[0-9a-fA-F]{1,4}")


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One input event of a recording, with the ``type``, ``code``, ``value`` a decoder reads."""

    time: float
    type: int
    code: int
    value: int

    def timestamp(self) -> float:
        """When the device sent it, as ``evdev.InputEvent.timestamp()`` says."""
        return self.time


@dataclass
class Recording:
    name: str = ""
    vendor: int = 0
    product: int = 0
    events: list[RecordedEvent] = field(default_factory=list)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def parse_recording(text: str) -> Recording:
    """Parse evemu's text format; unreadable lines are kept in ``bad_lines``, never raised."""
    recording = Recording()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if raw.startswith("E:") else raw.strip()
        if not line or line.startswith("#"):
            continue
        tag = line[:2]
        if tag == "E:":
            match = _EVENT.fullmatch(line)
            if match is None:
                recording.bad_lines.append((number, raw))
                continue
            sec, usec, etype, code, value = match.groups()
            recording.events.append(
                RecordedEvent(
                    int(sec) + int(usec.ljust(6, "0")) / 1e6,
                    int(etype, 16),
                    int(code, 16),
                    int(value),
                )
            )
        elif tag == "N:":
            recording.name = line[2:].strip()
        elif tag == "I:":
            _parse_ids(recording, line, number)
        elif tag not in ("P:", "B:", "A:", "L:", "S:"):
            recording.bad_lines.append((number, raw))
    return recording


def _parse_ids(recording: Recording, line: str, number: int) -> None:
    parts = line[2:].split()
    if len(parts) < 3 or not (_ID.fullmatch(parts[1]) and _ID.fullmatch(parts[2])):
        recording.bad_lines.append((number, line))
        return
    recording.vendor, recording.product = int(parts[1], 16), int(parts[2], 16)


def read_recording(path: Path) -> Recording:
    """Read a recording file; raises DeviceUnavailable when it cannot be read.

    Only regular files: reading a FIFO or a device (``evemu:/dev/ttyUSB0``) would block where
    no ``stop()`` can reach it. The file is opened without blocking and checked again once
    open, so a FIFO put in its place in between is refused too.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise _not_a_file(path)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise _not_a_file(path)
            data = stream.read()
    except OSError as exc:
        raise DeviceUnavailable(
            open_failure(exc.errno), f"cannot read recording {path}: {exc.strerror or exc}"
        ) from None
    return parse_recording(data.decode("utf-8", errors="replace"))


def _not_a_file(path: Path) -> DeviceUnavailable:
    return DeviceUnavailable(
        Reason.OPEN_FAILED, f"{path} is not a regular file (a FIFO or a device cannot be replayed)"
    )
