"""One text form for moments in the store, so that stored times sort as they happened."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """UTC, always with microseconds: ``2026-11-24T04:10:00.000000+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    return iso(datetime.now(UTC))
