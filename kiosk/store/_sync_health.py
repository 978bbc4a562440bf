"""How the last sync went, and what the school's server said the time was.

The sync worker writes it after every attempt; the door, `kiosk doctor` and the admin screen
read it. A Pi without a real-time clock may never get a synchronised clock where a school's
firewall blocks NTP, but it talks to its own server over verified TLS: the server's time, with
this kiosk's monotonic time and boot at that moment, is as good a reading as a synchronised one
for the rest of that boot (kiosk.core.moments).
"""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.moments import ClockSource, Reading
from kiosk.store._time import iso


class SyncProblem(enum.StrEnum):
    UNREACHABLE = "unreachable"  # down, slow, no network: tried again with back-off
    REFUSED = "refused"  # a revoked token, a wrong kiosk id: a person must fix a setting
    UNTRUSTED = "untrusted"  # the certificate does not verify: nothing is sent
    CLOCK_BEHIND_CERTIFICATE = "clock_behind_certificate"  # synced, but the clock is wrong
    OVERLAPPED = "overlapped"  # another sync of this file was running (or answered first)


@dataclass(frozen=True)
class SyncHealth:
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    problem_kind: SyncProblem | None = None
    problem: str | None = None
    server_clock: Reading | None = None  # the server's time, on this kiosk's monotonic clock


def record_attempt(
    conn: sqlite3.Connection,
    at: datetime,
    *,
    succeeded: bool,
    kind: SyncProblem | None = None,
    problem: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO sync_health (id, last_attempt_at, last_success_at, problem_kind, problem) "
        "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "last_attempt_at = excluded.last_attempt_at, "
        "last_success_at = coalesce(excluded.last_success_at, sync_health.last_success_at), "
        "problem_kind = excluded.problem_kind, problem = excluded.problem",
        (iso(at), iso(at) if succeeded else None, kind.value if kind else None, problem),
    )


def record_server_clock(conn: sqlite3.Connection, server: datetime, local: Reading) -> None:
    conn.execute(
        "INSERT INTO sync_health (id, last_attempt_at, server_wall, server_mono, server_boot) "
        "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "server_wall = excluded.server_wall, server_mono = excluded.server_mono, "
        "server_boot = excluded.server_boot",
        (iso(local.wall), iso(server), local.mono, local.boot_id),
    )


def health(conn: sqlite3.Connection) -> SyncHealth:
    try:
        row = conn.execute(
            "SELECT last_attempt_at, last_success_at, problem_kind, problem, server_wall, "
            "server_mono, server_boot FROM sync_health WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return SyncHealth()  # a file opened read-only before migration m004
        raise
    if row is None:
        return SyncHealth()
    attempt, success, kind, problem, wall, mono, boot = row
    server = None
    if wall is not None:
        server = Reading(
            datetime.fromisoformat(wall), float(mono), True, str(boot), ClockSource.SYSTEM
        )
    return SyncHealth(
        datetime.fromisoformat(attempt) if attempt else None,
        datetime.fromisoformat(success) if success else None,
        SyncProblem(kind) if kind else None,
        problem,
        server,
    )
