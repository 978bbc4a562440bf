"""The values scanners hand to the kiosk: scans, problems and readiness, never exceptions."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hardware.codes import CodeKind, ScannerRole


class Reason(enum.StrEnum):
    """Why a scanner could not turn input into a scan. Stable strings: UI and logs key on them."""

    TOO_LONG = "too_long"
    INCOMPLETE = "incomplete"
    EVENTS_DROPPED = "events_dropped"
    GARBLED = "garbled"
    WRONG_LAYOUT = "wrong_layout"
    UNEXPECTED_CODE = "unexpected_code"
    BAD_CHECKSUM = "bad_checksum"
    BAD_FRAME = "bad_frame"
    NOISE = "noise"
    DISCONNECTED = "disconnected"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    BUSY = "busy"
    PERMISSION_DENIED = "permission_denied"
    OPEN_FAILED = "open_failed"
    BAD_RECORDING = "bad_recording"
    SCANNER_FAILED = "scanner_failed"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A decoder's verdict that some input is not a code; the scanner makes it a ScannerProblem."""

    reason: Reason
    message: str


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """One code read once: cleaned text, the role it was read for, which scanner, and when.

    ``time`` is on the monotonic clock the scanner was given (``time.monotonic`` unless a test
    injected another), so it orders scans but says nothing about the wall clock.
    """

    text: str
    role: ScannerRole
    source: str
    time: float
    kind: CodeKind = CodeKind.TEXT


@dataclass(frozen=True, slots=True)
class ScannerProblem:
    """Something a scanner could not read, or a device it lost.

    ``reason`` is for code to act on, ``message`` is for people.
    """

    source: str
    role: ScannerRole
    reason: Reason
    message: str
    time: float


@dataclass(frozen=True, slots=True)
class ScannerReady:
    """The scanner has (re)opened its device and reads from it: its fault screen can close."""

    source: str
    role: ScannerRole
    device: str
    time: float


ScannerOutput = ScanEvent | ScannerProblem | ScannerReady
