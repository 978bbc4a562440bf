"""Today at the doors: loans, returns and refusals per kiosk since local midnight, and each
kiosk's health from its last heartbeat. A kiosk not heard from for SILENT_AFTER stands out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from sync.server.tables import events, kiosks
from sync.server.web.i18n import N_

SILENT_AFTER = timedelta(minutes=30)  # a running kiosk syncs every minute or so
# The kiosk's screen travels in the heartbeat's scanners under a name no scanner can have (so
# every server version takes it; kiosk.store._sync), with what its app found when it started.
SCREEN = "@screen"
SCREEN_STATES = {
    "ok": N_("working"),
    "no_display": N_("no screen connected"),
    "no_window": N_("screen connected, but the kiosk cannot open a window on it"),
}


@dataclass(frozen=True)
class KioskDay:
    name: str
    loans: int = 0
    returns: int = 0
    refusals: int = 0
    damage_reports: int = 0
    revoked: bool = False
    last_seen: datetime | None = None
    silent: bool = True  # never heard from, or not for SILENT_AFTER
    events_waiting: int | None = None
    clock_offset: float | None = None  # seconds the kiosk's clock is ahead of the server's
    clock_synced: bool | None = None
    version: str | None = None
    scanners: tuple[tuple[str, str], ...] = ()
    last_sync: str | None = None
    screen: str | None = None  # None: a kiosk that does not say (older, or never started)

    @property
    def screen_words(self) -> str:
        """What the page says of the screen, in English (the page translates it)."""
        return SCREEN_STATES.get(self.screen or "", self.screen or "")


@dataclass(frozen=True)
class Today:
    day: date
    doors: list[KioskDay] = field(default_factory=list)

    @property
    def totals(self) -> tuple[int, int, int]:
        return (
            sum(d.loans for d in self.doors),
            sum(d.returns for d in self.doors),
            sum(d.refusals for d in self.doors),
        )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to local midnight, as aware times (DST-safe: each end on its own)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def today(conn: Connection, zone: ZoneInfo, now: datetime) -> Today:
    day = now.astimezone(zone).date()
    start, end = day_bounds(day, zone)
    c = events.c
    counts: dict[tuple[str, str], int] = {
        (r.kiosk, r.type): int(r.n)
        for r in conn.execute(
            select(c.kiosk, c.type, func.count().label("n"))
            .where(c.effective_time >= start, c.effective_time < end)
            .group_by(c.kiosk, c.type)
        )
    }
    doors: list[KioskDay] = []
    for k in conn.execute(select(kiosks).order_by(kiosks.c.name)):
        beat = _heartbeat(k.last_heartbeat)
        reported = [
            (str(r.get("name", "")), str(r.get("state", "")))
            for r in (_scanners(beat) if beat else [])
        ]
        offset = None
        if beat and k.last_heartbeat_at is not None:
            try:
                wall = datetime.fromisoformat(beat["clock"]["wall"])
                offset = (wall - k.last_heartbeat_at).total_seconds()
            except (KeyError, TypeError, ValueError):
                offset = None
        doors.append(
            KioskDay(
                name=k.name,
                loans=counts.get((k.name, "checkout"), 0),
                returns=counts.get((k.name, "return"), 0),
                refusals=counts.get((k.name, "refusal"), 0),
                damage_reports=counts.get((k.name, "damage_report"), 0),
                revoked=k.revoked_at is not None,
                last_seen=k.last_seen_at,
                silent=k.last_seen_at is None or now - k.last_seen_at > SILENT_AFTER,
                events_waiting=beat.get("events_waiting") if beat else None,
                clock_offset=offset,
                clock_synced=beat["clock"].get("synced") if beat and "clock" in beat else None,
                version=beat.get("version") if beat else None,
                scanners=tuple((name, state) for name, state in reported if name != SCREEN),
                last_sync=beat.get("last_sync") if beat else None,
                screen=next((state for name, state in reported if name == SCREEN), None),
            )
        )
    return Today(day, doors)


def _scanners(beat: dict[str, Any]) -> list[dict[str, Any]]:
    # A heartbeat stored before the scanners were named so calls them "readers".
    found = beat.get("scanners", beat.get("readers"))
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def _heartbeat(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
