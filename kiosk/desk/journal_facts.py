"""Facts the idle screen reads from the journal without walking all of it (a term is 100,000
events).

Wall times never run backwards along the journal (the door holds an unsynchronised clock), so a
binary search over sequence numbers finds the first event of the week with a few indexed look-ups.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.store import Store


def event_time(store: Store, seq: int) -> datetime | None:
    """The wall time of the first event numbered ``seq`` or more (None past the end); one
    indexed query, so a range retention deleted is stepped over."""
    found = next(store.events(after_seq=seq - 1), None)
    return found.stamp.wall if found is not None else None


def first_seq_since(store: Store, since: datetime) -> int:
    """The first event recorded at or after ``since`` (the last one + 1 when there is none)."""
    low, high = 1, store.sync.last_seq() + 1
    while low < high:
        middle = (low + high) // 2
        wall = event_time(store, middle)
        if wall is not None and wall < since:
            low = middle + 1
        else:
            high = middle
    return low
