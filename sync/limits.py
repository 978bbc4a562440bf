"""Bounds of protocol v1 that the kiosk's settings check too, importable without pydantic."""

from __future__ import annotations

MAX_PUSH_EVENTS = 500  # events in one push
