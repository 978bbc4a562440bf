"""Backups restored, as schools do it: a kiosk's SD card from an older backup, the server's
database from last night's. Nothing a door decided is lost or doubled; the librarian's inbox and
`kiosk doctor` say what happened. Real `kiosk` and `kiosk-server` processes, SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from tests.sync.postgres import _bindir
from tests.sync.processes import kiosk
from tests.sync.test_end_to_end import (
    MONDAY,
    PUPIL_A,
    PUPIL_B,
    PUPIL_C,
    School,
    journal,
    scan,
    school,
)

__all__ = ["school"]  # the fixture, shared with test_end_to_end


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even of a file in use."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _put_back(backup: Path, db: Path) -> None:
    """Restore a kiosk's file from a backup, as an IT teacher copies an image onto the card."""
    for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        extra.unlink(missing_ok=True)
    _copy_sqlite(backup, db)


def _server_backup(school: School, folder: Path) -> Callable[[], None]:
    """Back up the server's database now; the returned call restores it (server stopped)."""
    if school.db.startswith("sqlite:///"):
        live = Path(school.db.removeprefix("sqlite:///"))
        copy = folder / "server-backup.db"
        _copy_sqlite(live, copy)
        return lambda: _put_back(copy, live)
    dump = folder / "server.dump"
    pg_dump, pg_restore = str(_bindir() / "pg_dump"), str(_bindir() / "pg_restore")
    subprocess.run([pg_dump, "-Fc", "-f", str(dump), school.db], check=True, timeout=60)

    def restore() -> None:
        subprocess.run(
            [pg_restore, "--clean", "--if-exists", "--single-transaction", "-d", school.db,
             str(dump)],
            check=True, timeout=60,
        )  # fmt: skip

    return restore


def _server_events(school: School) -> list[dict[str, object]]:
    return school.export()


def _loans(db: Path) -> dict[str, str]:
    done = kiosk("loans", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    return {d["barcode"]: d["reader"] for d in map(json.loads, done.stdout.splitlines())}


def test_a_kiosk_restored_from_an_older_backup_keeps_every_decision_it_makes_after(
    school: School, tmp_path: Path
) -> None:
    a, token = school.add_kiosk("door-a")
    assert school.sync(a, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "0001002", "@done")
    assert school.sync(a, token).returncode == 0
    backup = tmp_path / "door-a-backup.db"
    _copy_sqlite(a, backup)  # Sunday night's image of the SD card
    scan(a, "2026-11-23T12:20", PUPIL_B, "0001003", "@done")  # on the server, not the backup
    assert school.sync(a, token).returncode == 0
    # The card fails; the IT teacher writes Sunday's image onto a new one. Before the network
    # is back, a child borrows a book: its events take numbers the server already holds.
    _put_back(backup, a)
    after = scan(a, "2026-11-23T12:25", PUPIL_C, "0001004", "@done")
    assert after[1]["outcome"] == "borrowed"
    # More events than the server's other history has under those numbers: the push stores
    # the ones past it before it learns the rest were taken (they move to the new journal).
    second = scan(a, "2026-11-23T12:28", "202430201", "0001006", "@done")
    assert second[1]["outcome"] == "borrowed", second[1]
    synced = school.sync(a, token)
    assert synced.returncode == 0, synced.stderr
    assert "journal 1" in synced.stdout and "restored from an older backup" in synced.stdout
    # Every event the restored kiosk holds is on the server exactly once, unchanged: those of
    # before the backup once, and the new ones though their numbers were taken.
    on_server = _server_events(school)
    by_id = {e["id"]: e for e in on_server}
    assert len(by_id) == len(on_server)
    for event in journal(a):
        assert by_id[event["id"]] == event
    # ... so are those only the server had (the book lent after the backup).
    assert any(e["barcode"] == "0001003" and e["type"] == "checkout" for e in on_server)
    # The door shows every loan: its own new one, and the one its file forgot.
    assert _loans(a) == {
        "0001002": PUPIL_A,
        "0001003": PUPIL_B,
        "0001004": PUPIL_C,
        "0001006": "202430201",
    }
    items = school.review()
    assert [i["kind"] for i in items] == ["journal_forked"]  # no chain break, no reuse left
    forked = items[0]
    assert forked["kiosk"] == "door-a" and forked["barcode"] == "0001003"
    detail = json.loads(str(forked["detail"]))
    assert detail["journal"] == 1 and detail["cards"] == [PUPIL_B]
    doctor = kiosk("doctor", "--db", a, "--lang", "en")
    assert doctor.returncode == 0, doctor.stdout
    assert "forked from the server's" in doctor.stdout and "journal 1" in doctor.stdout
    # From now on it is an ordinary kiosk: a new loan goes once, nothing more to send.
    scan(a, "2026-11-30T12:15", PUPIL_A, "0001005", "@done")
    again = school.sync(a, token)
    assert again.returncode == 0 and "3 event(s) sent, 0 already" in again.stdout
    assert len(_server_events(school)) == len(on_server) + 3
    assert school.sync(a, token).stdout.startswith(f"sync with {school.server.url}: 0 event(s)")


def test_a_server_restored_from_last_nights_backup_gets_back_what_it_lost(
    school: School, tmp_path: Path
) -> None:
    a, token = school.add_kiosk("door-a")
    assert school.sync(a, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "0001002", "@done")
    assert school.sync(a, token).returncode == 0
    school.server.stop()
    restore = _server_backup(school, tmp_path)  # last night
    school.restart()
    scan(a, "2026-11-23T12:20", PUPIL_B, "0001003", "@done")
    assert school.sync(a, token).returncode == 0  # on the server, then lost with it
    school.server.stop()
    restore()
    school.restart()
    # Nothing new at the door: the kiosk still finds out, at its next sync, and sends again.
    synced = school.sync(a, token)
    assert synced.returncode == 0, synced.stderr
    assert "no longer had events 4-6" in synced.stdout
    on_server = _server_events(school)
    assert sorted(e["seq"] for e in on_server) == [e["seq"] for e in journal(a)]
    assert school.review() == []  # the gap it reported in between is closed
    assert _loans(a) == {"0001002": PUPIL_A, "0001003": PUPIL_B}
    doctor = kiosk("doctor", "--db", a, "--lang", "en")
    assert "no longer held events 4–6" in doctor.stdout
    assert school.sync(a, token).stdout.startswith(f"sync with {school.server.url}: 0 event(s)")


def test_events_gone_from_the_kiosk_and_a_restored_server_are_named_and_the_rest_syncs(
    school: School, tmp_path: Path
) -> None:
    a, token = school.add_kiosk("door-a")
    assert school.sync(a, token).returncode == 0
    school.server.stop()
    restore = _server_backup(school, tmp_path)  # before anything was lent
    school.restart()
    # Six weeks ago: synced, acknowledged, and old enough for retention to delete here.
    scan(a, "2026-10-26T12:15", PUPIL_A, "0001002", "@done")
    scan(a, "2026-10-26T12:20", PUPIL_B, "0001003", "@done")
    first = school.sync(a, token)
    assert first.returncode == 0 and " 0 old event(s) deleted" not in first.stdout
    school.server.stop()
    restore()  # the server's disk failed; last backup is older than those loans
    school.restart()
    scan(a, "2026-11-30T12:15", PUPIL_C, "0001004", "@done")
    synced = school.sync(a, token)
    assert synced.returncode == 0, synced.stderr
    again = school.sync(a, token)  # not stuck: nothing more to send
    assert again.returncode == 0 and again.stdout.startswith(
        f"sync with {school.server.url}: 0 event(s) sent"
    ), again.stdout
    kinds = [i["kind"] for i in school.review()]
    assert kinds == ["events_lost"]  # named, and no gap left open for ever
    lost = school.review()[0]
    kept = {e["seq"] for e in journal(a)}
    detail = json.loads(str(lost["detail"]))
    assert detail["first"] == 1 and all(seq not in kept for seq in range(1, detail["last"] + 1))
    # Whatever the kiosk still holds is on the server, the new loan included.
    on_server = {e["id"] for e in _server_events(school)}
    assert {e["id"] for e in journal(a)} <= on_server
    doctor = kiosk("doctor", "--db", a, "--lang", "en")
    assert "cannot be sent again" in doctor.stdout
