"""What reaches the door's thread besides scanner output, and what it sends back to the screen."""

from __future__ import annotations

from dataclasses import dataclass

from hardware import ScannerOutput
from kiosk.desk.facts import Facts


@dataclass(frozen=True)
class Tap:
    """A button on the screen (``done``, ``damaged``, ``language``, ``key:7``, ``mode:closed``...),
    or ``touch`` for a touch anywhere; ``mono`` is when it happened on the kiosk's clock."""

    target: str
    mono: float


@dataclass(frozen=True)
class Tick:
    """Let time pass: idle time-outs, screens that close by themselves, retrying a fault."""


Item = ScannerOutput | Tap | Tick


@dataclass(frozen=True)
class Update:
    """A new screen to show (as facts), a sound to play with it, and the scan it answers."""

    facts: Facts
    sound: str | None = None  # success | refusal | attention
    scan_time: float | None = None  # the ScanEvent's monotonic time, when it answers a scan


@dataclass(frozen=True)
class Exit:
    """Leave the app (admin): status 0 to stay stopped, RESTART to be started again."""

    status: int


RESTART = 3
