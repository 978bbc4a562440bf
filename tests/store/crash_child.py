"""A kiosk that works until it is killed: the child process of the crash test.

Usage: python -m tests.store.crash_child DB SEED START_ISO
Prints one JSON line per committed decision (with the ids of the events it recorded), flushed
before the next scan, so the parent knows exactly what the door had said when it died.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime
from pathlib import Path

from kiosk.clocks import ScriptedClock
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.store import Store

TEACHERS = ("T1", "T2", "T3")
BOOKS = tuple(f"C{n:03d}" for n in range(1, 41))


def main() -> None:
    db, seed, start = Path(sys.argv[1]), int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    rng = random.Random(seed)
    store = Store(db)
    clock = ScriptedClock(start)
    door = Door(store, clock)
    for _ in range(5000):
        clock.advance(rng.choice((0.5, 1, 2, 5)))
        roll = rng.random()
        if roll < 0.15:
            handled = door.scan(rng.choice(TEACHERS))
        elif roll < 0.2:
            handled = door.press(Button.DONE)
        else:
            handled = door.scan(rng.choice(BOOKS))
        if handled.decision is None:
            continue
        line = {
            "outcome": handled.decision.outcome.value,
            "code": handled.decision.code,
            "events": [r.id for r in handled.recorded],
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
