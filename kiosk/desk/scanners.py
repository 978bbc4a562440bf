"""Reader faults: which configured reader is out and why, and what each one read last.

A reader that is lost (unplugged, not found, busy, failed) puts the kiosk out of order until it
is back; one bad read only asks the child to scan again.
"""

from __future__ import annotations

from collections.abc import Sequence

from hardware import ReaderProblem, ScanEvent
from kiosk.desk.facts import ScannerFacts

# Reader problems that mean the reader is gone (a fault screen) rather than one bad read.
LOST = {
    "disconnected",
    "not_found",
    "ambiguous",
    "busy",
    "permission_denied",
    "open_failed",
    "reader_failed",
    "bad_recording",
}
# One bad read: the child is asked to scan again. (RDM6300 noise and bad frames are not shown:
# a card near the coil produces them all the time.)
UNREAD = {"too_long", "garbled", "incomplete", "events_dropped", "wrong_layout", "unexpected_code"}


class Scanners:
    """The configured readers as they last reported themselves."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.out: dict[str, str] = {}  # name -> the problem that took it out
        self.last_read: dict[str, str] = {}

    @property
    def any_out(self) -> bool:
        return bool(self.out)

    def read(self, event: ScanEvent) -> None:
        self.last_read[event.source] = event.text

    def lost(self, problem: ReaderProblem) -> bool:
        """Whether ``problem`` takes its reader out (it is then out until it is ready again)."""
        reason = problem.reason.value
        if reason not in LOST:
            return False
        self.out[problem.source] = reason
        return True

    @staticmethod
    def unread(problem: ReaderProblem) -> bool:
        """Whether ``problem`` is one bad read the child should be told about."""
        return problem.reason.value in UNREAD

    def back(self, source: str) -> bool:
        """The reader is ready again; whether it had been out."""
        return self.out.pop(source, None) is not None

    def faults(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.out.items()))

    def facts(self, *, with_codes: bool) -> tuple[ScannerFacts, ...]:
        return tuple(
            ScannerFacts(n, self.out.get(n), self.last_read.get(n) if with_codes else None)
            for n in self.names
        )
