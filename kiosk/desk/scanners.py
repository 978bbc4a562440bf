"""Scanner faults: which configured scanner is out and why, and what each one read last.

A scanner that is lost (unplugged, not found, busy, failed) puts the kiosk out of order until it
is back; one bad read only asks the child to scan again. Each scanner's state ("ok", or the
problem that took it out) is also written to the store for the sync worker's heartbeat, so the
librarian's Today page shows it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hardware import ScanEvent, ScannerProblem
from kiosk.desk.facts import ScannerFacts

# Scanner problems that mean the scanner is gone (a fault screen) rather than one bad read.
LOST = {
    "disconnected",
    "not_found",
    "ambiguous",
    "busy",
    "permission_denied",
    "open_failed",
    "scanner_failed",
    "bad_recording",
}
READY = "ok"  # the state of a scanner that reads (it said ScannerReady)
# One bad read: the child is asked to scan again. (RDM6300 noise and bad frames are not shown:
# a card near the coil produces them all the time.)
UNREAD = {"too_long", "garbled", "incomplete", "events_dropped", "wrong_layout", "unexpected_code"}


class Scanners:
    """The configured scanners as they last reported themselves."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.out: dict[str, str] = {}  # name -> the problem that took it out
        self.last_read: dict[str, str] = {}
        self._states: dict[str, str] = {}  # as the scanners last reported: READY or a problem
        self._reported: dict[str, str] = {}  # as last written for the heartbeat

    @property
    def any_out(self) -> bool:
        return bool(self.out)

    def read(self, event: ScanEvent) -> None:
        self.last_read[event.source] = event.text

    def lost(self, problem: ScannerProblem) -> bool:
        """Whether ``problem`` takes its scanner out (it is then out until it is ready again)."""
        reason = problem.reason.value
        if reason not in LOST:
            return False
        self.out[problem.source] = reason
        self._states[problem.source] = reason
        return True

    @staticmethod
    def unread(problem: ScannerProblem) -> bool:
        """Whether ``problem`` is one bad read the child should be told about."""
        return problem.reason.value in UNREAD

    def back(self, source: str) -> bool:
        """The scanner is ready again; whether it had been out."""
        self._states[source] = READY
        return self.out.pop(source, None) is not None

    def unreported(self) -> list[tuple[str, str]]:
        """(name, state) of each scanner whose state changed since it was last written."""
        return [(n, s) for n, s in sorted(self._states.items()) if self._reported.get(n) != s]

    def reported(self, name: str, state: str) -> None:
        self._reported[name] = state

    def forget_reported(self) -> None:
        """Another file may be open now (a database that came back): write every state again."""
        self._reported.clear()

    def faults(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.out.items()))

    def facts(self, *, with_codes: bool) -> tuple[ScannerFacts, ...]:
        return tuple(
            ScannerFacts(n, self.out.get(n), self.last_read.get(n) if with_codes else None)
            for n in self.names
        )
