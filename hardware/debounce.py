"""Debounce: the same code from the same role within a window is one scan, not two loans."""

from __future__ import annotations

import threading


class Debouncer:
    """Remembers recent codes per role; shareable between readers (it locks).

    The window slides: a book held under a presentation scanner is re-read every second or so,
    and each re-read pushes the window on, so it is reported once however long it stays there.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self.suppressed = 0

    def admit(self, role: str, text: str, now: float, window: float) -> bool:
        """True when the code should be reported; False for a repeat within ``window`` seconds."""
        if window <= 0:
            return True
        key = (role, text)
        with self._lock:
            last = self._seen.get(key)
            self._seen[key] = now
            if len(self._seen) > 256:
                self._forget_older_than(now - window)
            if last is not None and 0 <= now - last < window:
                self.suppressed += 1
                return False
            return True

    def _forget_older_than(self, cutoff: float) -> None:
        # Keeps memory bounded on a kiosk that runs for months without a restart.
        for key in [k for k, seen in self._seen.items() if seen < cutoff]:
            del self._seen[key]
