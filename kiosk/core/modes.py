"""What the door is open for: everything, returns only, or nothing.

A librarian (or a helper, for returns only) sets the mode on the touchscreen; it lasts until it
is changed or the kiosk restarts.
"""

from __future__ import annotations

import enum


class DoorMode(enum.StrEnum):
    NORMAL = "normal"
    RETURNS_ONLY = "returns_only"  # books come back; no card opens a session
    CLOSED = "closed"  # nothing is lent or taken back
