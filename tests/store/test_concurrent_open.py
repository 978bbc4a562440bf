"""The touchscreen app and the sync worker start together after an upgrade, on one old file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from kiosk.store._schema import migrations
from tests.conftest import REPO


def _old_file(path: Path) -> None:
    db = Database(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    migrations.apply(db, stop_before="m002_clock_source")
    db.conn.execute("INSERT INTO kiosk VALUES (1, 'door-1', '2026-11-01T00:00:00+00:00')")
    db.conn.commit()
    db.close()


def _child(db: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.migrate_child", str(db), name],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _says(child: subprocess.Popen[str], expected: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != expected:
        child.kill()
        raise AssertionError(f"expected {expected!r}, got {line!r}: {child.communicate()[1]}")


def test_two_processes_migrating_one_file_at_once_both_open_it(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    _old_file(db)
    first = _child(db, "ui")
    _says(first, "opening")
    _says(first, "migrating")
    # The second starts while the first is in the middle of migrating ...
    second = _child(db, "sync")
    _says(second, "opening")
    assert first.stdin is not None
    first.stdin.write("go on\n")  # ... and the first finishes its migration only now.
    first.stdin.flush()
    results = []
    for child in (first, second):
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err  # e.g. "table slow_migration_done already exists"
        results.append(json.loads(out))
    assert [r["pending"] for r in results] == [[], []]  # both see the new schema
    assert {r["kiosk_id"] for r in results} == {"door-1"}
    conn = Database(db).conn
    # The migration ran once, by the first process; the second waited and found it done.
    assert conn.execute("SELECT by FROM slow_migration_done").fetchall() == [("ui",)]
    applied = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE name = 'm999_a_slow_one'"
    ).fetchall()
    assert len(applied) == 1
