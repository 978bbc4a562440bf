"""How long to wait after a failed sync: exponential back-off with full jitter.

Full jitter (a random wait between 0 and the exponential ceiling) keeps a school's kiosks from
all coming back at the same second after the server restarts. A server that says
``Retry-After`` is never asked again sooner than that.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 2.0  # seconds: the ceiling after the first failure
    cap: float = 900.0  # the ceiling never grows past this
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def failed(self, retry_after: float | None = None) -> float:
        """Count a failure; the seconds to wait before the next try."""
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        wait = self.rng.uniform(0, ceiling)
        return max(wait, retry_after) if retry_after is not None else wait

    def succeeded(self) -> None:
        self.failures = 0
