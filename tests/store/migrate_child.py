"""A kiosk process opening a file that needs migrating: the child of the concurrent-open test.

Usage: python -m tests.store.migrate_child DB NAME
Adds one slow migration to the product's own (a table rewrite on a big school's file takes a
while), says "opening" on stdout, opens the file, and prints what it found there as JSON. A child
that runs the slow migration says "migrating" and waits for a line on stdin before going on.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlite_utils import Database

from kiosk.store import Store
from kiosk.store._schema import migrations, pending

# The slow migration's own work, after the other process has started opening the file.
WORK_SECONDS = 1.0


def main() -> None:
    db, name = Path(sys.argv[1]), sys.argv[2]

    @migrations()
    def m999_a_slow_one(database: Database) -> None:
        database.execute("CREATE TABLE slow_migration_done (by TEXT)")
        database.execute("INSERT INTO slow_migration_done VALUES (?)", [name])
        print("migrating", flush=True)
        sys.stdin.readline()  # the other process has started to open the file
        time.sleep(WORK_SECONDS)  # this is the migration's work, not a wait for anything

    print("opening", flush=True)
    with Store(db) as store:
        left = pending(Database(store.path))
        print(json.dumps({"name": name, "kiosk_id": store.kiosk_id, "pending": left}), flush=True)


if __name__ == "__main__":
    main()
