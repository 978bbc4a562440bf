"""A per-kiosk request limit, counted in the database so every server process agrees.

Fixed windows: at most ``limit`` requests per kiosk per ``window`` seconds; past that the answer
is 429 with ``Retry-After`` set to the seconds left in the window. A kiosk's worker backs off
anyway, so the limit only stops a kiosk that has gone wrong (or a stolen token) from flooding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.tables import rate_windows


@dataclass(frozen=True)
class RateLimit:
    limit: int = 120
    window: int = 60  # seconds

    def check(self, engine: Engine, kiosk: str, now: datetime) -> int | None:
        """Count one request; None if allowed, else the seconds to wait."""
        stamp = int(now.timestamp())
        window = stamp // self.window
        with engine.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            counted = (
                insert(rate_windows)
                .values(kiosk=kiosk, window=window, requests=1)
                .on_conflict_do_update(
                    index_elements=["kiosk", "window"],
                    set_={"requests": rate_windows.c.requests + 1},
                )
                .returning(rate_windows.c.requests)
            )
            count = int(conn.execute(counted).scalar_one())
            if count == 1:  # a new window: forget this kiosk's old ones
                conn.execute(
                    delete(rate_windows).where(
                        rate_windows.c.kiosk == kiosk, rate_windows.c.window < window
                    )
                )
        if count <= self.limit:
            return None
        return max(1, (window + 1) * self.window - stamp)
