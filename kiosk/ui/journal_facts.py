"""Facts the screens read from the journal without walking all of it (a term is 100,000 events).

Sequences are gap-free from 1 and wall times never run backwards along the journal (the door
holds an unsynchronised clock), so a few indexed look-ups by sequence find what a scan would.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.store import Store


def event_time(store: Store, seq: int) -> datetime | None:
    """The wall time of event ``seq`` (None past the end); one indexed query."""
    found = next(store.events(after_seq=seq - 1), None)
    return found.stamp.wall if found is not None else None


def last_seq(store: Store) -> int:
    """The journal's last sequence number, by doubling then halving."""
    high = 1
    while event_time(store, high) is not None:
        high *= 2
    low = high // 2  # event `low` exists (or low is 0)
    while high - low > 1:
        middle = (low + high) // 2
        if event_time(store, middle) is not None:
            low = middle
        else:
            high = middle
    return low


def first_seq_since(store: Store, since: datetime) -> int:
    """The first event recorded at or after ``since`` (last + 1 when there is none)."""
    low, high = 1, last_seq(store) + 1
    while low < high:
        middle = (low + high) // 2
        wall = event_time(store, middle)
        if wall is not None and wall < since:
            low = middle + 1
        else:
            high = middle
    return low
