"""Power cuts and kills at any moment: the journal and the loan table stay whole and agree.

A child process lends and takes back books as fast as it can and is killed with SIGKILL at
random moments, dozens of times, on one real SQLite file. After every kill the file must be
sound, every decision the child had printed must be in the journal, and every loan must have
its event.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from kiosk.core.journal import project, verify_chain
from kiosk.core.models import Copy, Reader, ReaderRole
from kiosk.store import Store
from tests.conftest import EXAMPLES, REPO, local

KILLS = 40


def _school(path: Path) -> None:
    store = Store.create(path, "crash-door")
    store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(Reader(t, "老师", ReaderRole.TEACHER) for t in ("T1", "T2", "T3"))
    store.import_copies(Copy(f"C{n:03d}", f"书{n}") for n in range(1, 41))
    store.close()


def test_kill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    _school(db)
    rng = random.Random(20261124)
    printed: list[dict[str, object]] = []
    start = local("2026-11-23 08:00")
    for run in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.store.crash_child", str(db), str(run),
             (start + timedelta(minutes=run)).isoformat()],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            # Unbuffered: communicate() reads the pipe itself, so whatever a buffered readline
            # had read ahead of the lines it returned would be lost (half a line, then bad JSON).
            bufsize=0,
        )  # fmt: skip
        assert child.stdout is not None
        # Kill after a random number of decisions: sometimes before the first (start-up),
        # otherwise somewhere in the middle of a write.
        seen = []
        for _ in range(rng.choice((0, 1, 3, 10, 25, 60))):
            line = child.stdout.readline()
            if not line:
                break
            seen.append(line)
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=60)
        assert child.returncode == -signal.SIGKILL, err.decode()
        # Everything the child printed before it died, including what we had not read yet.
        text = b"".join(seen).decode() + out.decode()
        printed.extend(json.loads(line) for line in text.splitlines() if line.strip())

    store = Store(db)
    assert store.integrity_problems() == []
    events = list(store.events())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert verify_chain(events) == []
    ids = {e.id for e in events}
    said = [event_id for line in printed for event_id in line["events"]]  # type: ignore[attr-defined]
    assert said and set(said) <= ids  # every decision shown is in the journal
    loans = {loan.barcode: loan for loan in store.loans()}
    assert project(events) == loans
    checkouts = {e.seq for e in events if e.event.type.value == "checkout"}
    assert all(loan.event_seq in checkouts for loan in loans.values())
    assert sum(1 for line in printed if line["outcome"] == "borrowed") > KILLS
    store.close()
