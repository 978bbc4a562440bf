"""Bounds and paths of protocol v1 that the kiosk needs too, importable without pydantic.

Defined on the kiosk's side (kiosk/protocol_v1.py), because the kiosk imports nothing of ``sync``
outside its composition root; named here for the sync package (sync/protocol.py).
"""

from __future__ import annotations

from kiosk.protocol_v1 import CONTENT_TYPE, MAX_BODY_BYTES, MAX_PUSH_EVENTS, WHOAMI_PATH

__all__ = ["CONTENT_TYPE", "MAX_BODY_BYTES", "MAX_PUSH_EVENTS", "WHOAMI_PATH"]
