"""A per-kiosk request limit, counted in the database so every server process agrees.

Fixed windows: at most ``limit`` requests per kiosk per ``window`` seconds; past that the answer
is 429 with ``Retry-After`` set to the seconds left in the window. A kiosk's worker backs off
anyway, so the limit only stops a kiosk that has gone wrong (or a stolen token) from flooding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.db import writing
from sync.server.tables import rate_windows


@dataclass(frozen=True)
class RateLimit:
    limit: int = 120
    window: int = 60  # seconds

    def check(self, engine: Engine, kiosk: str, now: datetime) -> None:
        """Count one request in its own transaction; RateLimited if over the limit."""
        with writing(engine) as conn:
            self.count(conn, kiosk, now)

    def count(self, conn: Connection, kiosk: str, now: datetime) -> None:
        """Count one request inside the caller's write transaction (a push counts in the same
        transaction that stores it: one commit, not two); RateLimited if over the limit."""
        stamp = int(now.timestamp())
        window = stamp // self.window
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
        requests = int(conn.execute(counted).scalar_one())
        if requests == 1:  # a new window: forget this kiosk's old ones
            conn.execute(
                delete(rate_windows).where(
                    rate_windows.c.kiosk == kiosk, rate_windows.c.window < window
                )
            )
        if requests > self.limit:
            raise RateLimited(max(1, (window + 1) * self.window - stamp))


class RateLimited(Exception):  # noqa: N818 (a state, answered with 429)
    """Too many requests from one kiosk; ``retry_after`` is the seconds left in the window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after
