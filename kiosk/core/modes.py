"""What the door is open for: everything, returns only, or nothing.

A librarian (or a helper, for returns only) sets the mode on the touchscreen; it lasts until it
is changed or the kiosk restarts. The engine turns a scan away by it like any other refusal, so
the journal, `kiosk events` and the librarian's pages show it.
"""

from __future__ import annotations

import enum

from kiosk.core.decisions import Reason
from kiosk.core.models import Reader


class DoorMode(enum.StrEnum):
    NORMAL = "normal"
    RETURNS_ONLY = "returns_only"  # books come back; no card opens a session
    CLOSED = "closed"  # nothing is lent or taken back


def turned_away(mode: DoorMode, card: Reader | None) -> Reason | None:
    """Why the mode refuses a scan before anything else is decided, if it does.

    ``card`` is the reader whose card was read (None for a book or a code nobody has): in
    returns-only mode only a known card is refused, so books still come back and a stranger's
    card gets the usual answer.
    """
    if mode is DoorMode.CLOSED:
        return Reason.CLOSED
    if mode is DoorMode.RETURNS_ONLY and card is not None:
        return Reason.RETURNS_ONLY
    return None
