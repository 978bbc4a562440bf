"""The simulated machine clock (KIOSK_SIMULATED_CLOCK): real `kiosk scan` processes stamp their
events with the time, sync flag and boot a simulation writes, as a Pi without a real-time clock
would after a power cut, a dead clock module or NTP (docs/chaos.md)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.clocks import SIMULATED_CLOCK_VARIABLE, SimulatedSetting
from tests.conftest import SAMPLE, ZONE
from tests.sync.processes import BIN

PUPIL = "202430101"  # 3-1: borrows in the Monday lunchtime window
MONDAY_LUNCH = datetime(2026, 11, 23, 12, 15, tzinfo=ZONE)


def _kiosk(*argv: str | Path, clock: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != SIMULATED_CLOCK_VARIABLE}
    if clock is not None:
        env[SIMULATED_CLOCK_VARIABLE] = str(clock)
    return subprocess.run(
        [str(BIN / "kiosk"), *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


def _set(clock: Path, reads: datetime, *, synced: bool, boot_id: str, mono: float) -> None:
    """The machine's clock reads ``reads`` now, and its monotonic clock ``mono``."""
    SimulatedSetting(
        wall_offset=reads.timestamp() - time.time(),
        mono_offset=mono - time.monotonic(),
        synced=synced,
        boot_id=boot_id,
    ).write(clock)


@pytest.fixture
def kiosk_db(tmp_path: Path) -> Path:
    db = tmp_path / "door-1.db"
    assert _kiosk("init", "--db", db, "--kiosk-id", "door-1", clock=None).returncode == 0
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        done = _kiosk("import", kind, SAMPLE / name, "--db", db, clock=None)
        assert done.returncode == 0, done.stderr
    return db


def _journal(db: Path) -> list[dict[str, object]]:
    done = _kiosk("events", "--db", db, "--json", clock=None)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _at(text: object) -> datetime:
    return datetime.fromisoformat(str(text))


def test_kiosk_scan_journals_the_simulated_time_sync_flag_and_boot(
    kiosk_db: Path, tmp_path: Path
) -> None:
    clock = tmp_path / "clock.json"
    # A Monday lunchtime, NTP has stepped the clock: the door lends by the timetable.
    _set(clock, MONDAY_LUNCH, synced=True, boot_id="boot-1", mono=100.0)
    lent = _kiosk("scan", "--db", kiosk_db, "--json", PUPIL, "0001002", "@done", clock=clock)
    assert lent.returncode == 0, lent.stderr
    assert [json.loads(x)["outcome"] for x in lent.stdout.splitlines()][1] == "borrowed"
    # A power cut: the Pi boots reading 2099 (a dead clock module), not synchronised.
    future = datetime(2099, 1, 1, 8, 0, tzinfo=UTC)
    _set(clock, future, synced=False, boot_id="boot-2", mono=12.0)
    held = _kiosk("scan", "--db", kiosk_db, "--json", "0001002", clock=clock)
    assert held.returncode == 0, held.stderr
    journal = _journal(kiosk_db)
    first, returned = journal[0], journal[-1]
    (borrowed,) = (e for e in journal if e["type"] == "checkout")
    assert first["clock_synced"] is True and first["boot_id"] == "boot-1"
    assert abs(_at(first["wall_time"]) - MONDAY_LUNCH) < timedelta(seconds=30)
    assert 100.0 <= float(str(first["mono_time"])) < 130.0
    assert returned["type"] == "return" and returned["clock_synced"] is False
    assert returned["boot_id"] == "boot-2" and float(str(returned["mono_time"])) < 40.0
    # The stepped reading is journaled as read; the door held its time at the last event.
    assert abs(_at(returned["clock_time"]) - future) < timedelta(seconds=30)
    assert _at(returned["wall_time"]) - _at(borrowed["wall_time"]) < timedelta(minutes=1)


def test_a_simulated_clock_file_that_cannot_be_read_is_refused_in_one_line(
    kiosk_db: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-clock.json"
    refused = _kiosk("scan", "--db", kiosk_db, PUPIL, clock=missing)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"kiosk: {missing}: cannot read the simulated clock")
    wrong = tmp_path / "clock.json"
    wrong.write_text('{"wall_offset": 0}', encoding="utf-8")
    refused = _kiosk("scan", "--db", kiosk_db, PUPIL, clock=wrong)
    assert refused.returncode == 1 and "not a simulated clock: expected" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _journal(kiosk_db) == []  # nothing was decided on a clock nobody could read
