"""Debounce: the same code from the same role within a window is one scan, not two loans."""

from __future__ import annotations

import threading

# Above this many remembered codes, expired ones are forgotten: memory stays bounded on a kiosk
# that runs for months without a restart.
_TIDY_ABOVE = 256


class Debouncer:
    """Remembers recently reported codes per role; shareable between scanners (it locks).

    A code is reported at most once per window, and the window starts at the scan that was
    reported: repeats inside it are suppressed and do not extend it. A card re-tapped every
    1.5 s with a 2 s window is reported every 3 s, not once for as long as the child keeps
    tapping. (A book left under a presentation scanner therefore reappears once per window;
    what a repeat means is the kiosk's decision, not the scanner's.) Each entry keeps its own
    window, so scanners with different windows sharing one Debouncer do not shorten each other's.
    """

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], tuple[float, float]] = {}  # (reported at, until)
        self._lock = threading.Lock()
        self.suppressed = 0

    def admit(self, role: str, text: str, now: float, window: float) -> bool:
        """True when the code should be reported; False for a repeat within ``window`` seconds."""
        if window <= 0:
            return True
        key = (role, text)
        with self._lock:
            reported = self._until.get(key)
            if reported is not None and reported[0] <= now < reported[1]:
                self.suppressed += 1
                return False
            self._until[key] = (now, now + window)
            if len(self._until) > _TIDY_ABOVE:
                self._forget_expired(now)
            return True

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, (_, until) in self._until.items() if until <= now]:
            del self._until[key]
