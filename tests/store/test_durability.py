"""The promises of docs/architecture.md "Durability and speed", each checked where it shows.

- Every commit is on disk before the screen answers (``synchronous=FULL``): the WAL is synced
  once per committed scan, seen with strace.
- Every write takes the lock before it reads (``BEGIN IMMEDIATE``): a scan that arrives while the
  sync worker writes waits for it and decides on what the worker wrote.
- Checkpoints wait until nobody is at the door: a lunchtime of scans never resets the WAL, a
  quiet moment does.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from kiosk.core.decisions import Outcome, Reason
from kiosk.core.session import Button
from kiosk.door import CHECKPOINT_SECONDS
from kiosk.store import Store
from tests.conftest import Run, School

KIOSK = Path(sys.executable).parent / "kiosk"
PAGE = 4096
ROUNDS = 150  # of borrow, Done, return, card: well past 1,000 WAL pages


def test_every_committed_scan_is_synced_to_disk_before_the_next(db: Path, run: Run) -> None:
    codes = ["202430101", "0001002", "@done", "202430102", "0001003", "@done"]
    trace = db.with_name("strace.txt")
    subprocess.run(
        ["strace", "-f", "-e", "trace=openat,fsync,fdatasync", "-o", str(trace),
         str(KIOSK), "scan", "--db", str(db), "--at", "2026-11-23T12:15", *codes],
        check=True, capture_output=True,
    )  # fmt: skip
    text = trace.read_text()
    wal_fd = re.search(rf'openat\(AT_FDCWD, "[^"]*{db.name}-wal", [^)]*\) = (\d+)', text)
    assert wal_fd is not None, text
    syncs = len(re.findall(rf"f(?:data)?sync\({wal_fd[1]}\)", text))
    # Six inputs, six transactions (and the shutdown's), each synced before it was answered.
    assert syncs >= len(codes)
    with Store(db) as store:
        assert store.durability() == ("wal", "full")


def test_a_scan_while_the_sync_worker_writes_waits_and_sees_what_it_wrote(
    school: School,
) -> None:
    holding, door_read = threading.Event(), threading.Event()
    path = school.store.path

    def sync_worker() -> None:
        # A pulled roster: the child is no longer at the school. Commits once the door has read
        # (which BEGIN IMMEDIATE prevents: then it commits after a second).
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE readers SET active = 0 WHERE card = 'S31'")
        holding.set()
        door_read.wait(timeout=1.0)
        conn.execute("COMMIT")
        conn.close()

    library = school.store.library
    looked_up = library.reader

    def reader(card: str):  # type: ignore[no-untyped-def]
        door_read.set()
        return looked_up(card)

    library.reader = reader  # type: ignore[method-assign]
    worker = threading.Thread(target=sync_worker)
    worker.start()
    holding.wait()
    decision = school.scan("S31")  # waits for the worker's commit, then decides
    worker.join()
    assert decision.outcome is Outcome.REFUSED and decision.reason is Reason.INACTIVE_READER


def _wal_salt(path: Path) -> bytes:
    """The WAL header's salt: it changes each time the WAL starts over after a checkpoint."""
    with path.with_name(path.name + "-wal").open("rb") as wal:
        return wal.read(32)[16:24]


def test_checkpoints_wait_until_nobody_is_at_the_door(school: School) -> None:
    path = school.store.path
    school.scan("T1")
    school.scan("B1")
    salt = _wal_salt(path)
    wal = path.with_name(path.name + "-wal")
    # A long, busy lunchtime: a teacher borrowing and returning without a pause.
    for _ in range(ROUNDS):
        school.scan("B2")
        school.press(Button.DONE)
        school.clock.advance(5)
        school.scan("B2")
        school.scan("T1")
    # SQLite's own checkpoint would have run at 1,000 pages and started the WAL over.
    assert wal.stat().st_size > 1000 * PAGE
    assert _wal_salt(path) == salt  # no commit ever stopped to checkpoint
    school.press(Button.DONE)
    school.clock.advance(CHECKPOINT_SECONDS)
    school.door.tick()  # nobody at the door: now the WAL is copied back
    school.scan("S31")  # the next write starts the WAL over
    assert _wal_salt(path) != salt
