"""Identical answers in a burst are merged: three books scanned one after another are heard as
"借好了3本", not three sentences each cutting the last one off half-way.
"""

from __future__ import annotations

from dataclasses import dataclass

# A child scans a pile of books two or three seconds apart; a longer pause starts a new burst.
BURST_SECONDS = 6.0
# Answers that merge, and the sentence that counts them (kiosk/locale/*/voice.po).
MERGED = {"borrowed.ok": "borrowed.many", "returned.ok": "returned.many"}


@dataclass(frozen=True)
class Burst:
    key: str  # the answer's message key
    count: int
    last: float  # monotonic time of its latest answer

    @property
    def merged_key(self) -> str | None:
        """The counting sentence, once there is more than one answer to count."""
        return MERGED.get(self.key) if self.count > 1 else None


def add(burst: Burst | None, key: str, at: float) -> Burst:
    """The burst after an answer with message ``key`` at monotonic ``at``."""
    if (
        burst is not None
        and burst.key == key
        and key in MERGED
        and 0 <= at - burst.last <= BURST_SECONDS
    ):
        return Burst(key, burst.count + 1, at)
    return Burst(key, 1, at)
