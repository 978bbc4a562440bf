"""evemu-record files: parsing the device description and the event lines of a recorded reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# "E: 12.345678 0001 001c 0001" -- seconds.microseconds, type and code in hex, value in decimal.
_EVENT = re.compile(r"E:\s+(\d+)\.(\d{1,6})\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(-?\d+)")


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One input event of a recording, with the ``type``, ``code``, ``value`` a decoder reads."""

    time: float
    type: int
    code: int
    value: int


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
    try:
        recording.vendor, recording.product = int(parts[1], 16), int(parts[2], 16)
    except (IndexError, ValueError):
        recording.bad_lines.append((number, line))


def read_recording(path: Path) -> Recording:
    """Read a recording file; raises OSError when it cannot be read (the source reports that)."""
    return parse_recording(path.read_text(encoding="utf-8", errors="replace"))
