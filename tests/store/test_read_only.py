"""A kiosk file on read-only media can be looked at, and looking never changes or migrates it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.cli import main
from kiosk.core.decisions import Event, EventType, Reason
from kiosk.core.journal import GENESIS_HASH, Stamp, record
from kiosk.store._schema import migrations
from tests.conftest import EXAMPLES

KIOSK = Path(sys.executable).parent / "kiosk"
ReadOnlyRun = Callable[..., subprocess.CompletedProcess[str]]


def _can_mount_read_only(folder: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}'"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.fixture
def read_only(tmp_path: Path) -> tuple[Path, ReadOnlyRun]:
    """A folder, and a way to run `kiosk` with that folder read-only.

    A read-only bind mount in a mount namespace of its own is read-only media for root too. Where
    the machine does not allow one, the command runs as `nobody` on a folder only root may write.
    """
    folder = tmp_path / "media"
    folder.mkdir()

    def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
        command = [str(KIOSK), *map(str, argv)]
        if _can_mount_read_only(folder):
            script = f"mount --bind -o ro '{folder}' '{folder}' && exec \"$@\""
            command = ["unshare", "-m", "sh", "-c", script, "sh", *command]
        else:
            folder.chmod(0o755)
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    return folder, run


def _school(path: Path) -> None:
    assert main(["init", "--db", str(path), "--kiosk-id", "door-1"]) == 0
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        assert main(["import", kind, str(EXAMPLES / name), "--db", str(path)]) == 0
    codes = ("202430101", "0001002", "@done")
    assert main(["scan", "--db", str(path), "--at", "2026-11-23T12:15", *codes]) == 0


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


READING_COMMANDS = (
    ("events", "--json"),
    ("loans", "--json"),
    ("export", "koc"),
    ("doctor",),
)


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_reading_commands_work_on_read_only_media(
    read_only: tuple[Path, ReadOnlyRun],
    command: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, run = read_only
    db = folder / "kiosk.db"
    _school(db)
    capsys.readouterr()
    before = _digest(folder)
    result = run(*command, "--db", db)
    assert result.returncode == 0, result.stderr
    assert "0001002" in result.stdout or command[0] == "doctor"
    assert _digest(folder) == before


def test_a_file_with_changes_in_its_wal_is_read_where_sqlite_can(
    read_only: tuple[Path, ReadOnlyRun], tmp_path: Path
) -> None:
    folder, run = read_only
    db = tmp_path / "live.db"
    _school(db)
    # Copied while the kiosk was running: the last changes are still in the -wal file.
    keeper = Database(db)
    keeper.conn.execute("PRAGMA wal_autocheckpoint=0")
    keeper.conn.execute("UPDATE policy SET imported_at = '2026-11-30T08:00:00+00:00'")
    keeper.conn.commit()
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(f"{db}{suffix}", folder / f"kiosk.db{suffix}")
    keeper.close()
    result = run("events", "--db", folder / "kiosk.db")
    assert result.returncode == 0, result.stderr
    (folder / "kiosk.db-shm").unlink()
    result = run("events", "--db", folder / "kiosk.db")
    assert result.returncode == 1
    assert "copy the database and its -wal file somewhere writable" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_writing_command_on_read_only_media_says_so(read_only: tuple[Path, ReadOnlyRun]) -> None:
    folder, run = read_only
    db = folder / "kiosk.db"
    _school(db)
    result = run("scan", "--db", db, "--at", "2026-11-23T12:20", "202430102")
    assert result.returncode == 1
    assert result.stderr.startswith("kiosk: ") and "Traceback" not in result.stderr


def _old_file(path: Path) -> None:
    """A kiosk file as the version before journal format 2 left it, with two events."""
    db = Database(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    migrations.apply(db, stop_before="m002_clock_source")
    db.conn.execute("INSERT INTO kiosk VALUES (1, 'door-1', '2026-11-01T00:00:00+00:00')")
    prev = GENESIS_HASH
    wall = datetime(2026, 11, 23, 4, 15, tzinfo=UTC)
    for seq, event in enumerate(
        (Event(EventType.SESSION_STARTED, Reason.OK, "s1", card="C1"), Event(
            EventType.SESSION_ENDED, Reason.FINISHED, "s1", card="C1"
        )),
        start=1,
    ):  # fmt: skip
        recorded = record(
            seq, f"id-{seq}", "door-1", event, Stamp(wall, wall, 1.0, "b", True), prev, 1
        )
        text = wall.isoformat(timespec="microseconds")
        db.conn.execute(
            "INSERT INTO events (seq, id, kiosk_id, type, reason, session_id, card, wall_time, "
            "clock_time, mono_time, boot_id, clock_synced, prev_hash, hash) "
            "VALUES (?, ?, 'door-1', ?, ?, 's1', 'C1', ?, ?, 1.0, 'b', 1, ?, ?)",
            (seq, recorded.id, event.type, event.reason, text, text, prev, recorded.hash),
        )
        prev = recorded.hash
    db.conn.commit()
    db.close()


def test_an_old_file_is_read_as_written_and_never_migrated(
    read_only: tuple[Path, ReadOnlyRun],
) -> None:
    folder, run = read_only
    db = folder / "kiosk.db"
    _old_file(db)
    before = _digest(folder)
    result = run("events", "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["seq"], e["format"], e["clock_source"]) for e in events] == [
        (1, 1, "system"),
        (2, 1, "system"),
    ]
    doctor = run("doctor", "--db", db, "--json")
    journal = next(
        c for c in map(json.loads, doctor.stdout.splitlines()) if c["check"] == "journal"
    )
    assert journal["ok"], journal  # format 1 events still verify
    assert _digest(folder) == before  # not migrated, not touched


def test_an_old_file_is_migrated_by_the_next_writing_command(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    _old_file(db)
    assert main(["import", "policy", str(EXAMPLES / "policy.toml"), "--db", str(db)]) == 0
    assert main(["import", "roster", str(EXAMPLES / "roster.csv"), "--db", str(db)]) == 0
    assert main(["scan", "--db", str(db), "--at", "2026-11-23T12:20", "202430101"]) == 0
    assert main(["doctor", "--db", str(db)]) == 1  # no catalogue yet, but the journal is sound
    journal = Database(db).conn.execute("SELECT format FROM events ORDER BY seq").fetchall()
    assert [row[0] for row in journal] == [1, 1, 2, 2]
