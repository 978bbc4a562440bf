"""The checks of the Pi under the kiosk: clock, disk space, the SD card, and the services' state.

Pure functions over a ``Machine``. Under ``--root`` (a laid-down tree, no booted system) the
checks that need the running system say so instead of guessing.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from kiosk.clocks import BOOT_ID, TIMESYNC_FLAG
from kiosk.core.moments import Reading
from kiosk.health.machine import Machine
from kiosk.health.results import Result, fail, ok, skipped

UNITS = ("library-kiosk.service", "library-kiosk-sync.service")
MIN_FREE_BYTES = 200 * 1024 * 1024
MIN_FREE_SHARE = 0.05
RESTARTS_TOO_MANY = 3
# What a dying SD card (or a weak power supply, which corrupts it) leaves in the kernel log.
_STORAGE_ERROR = re.compile(
    r"I/O error.*mmcblk|mmcblk\d+.*error|mmc\d+: .*(error|timeout|timed out)|"
    r"EXT4-fs error|Buffer I/O error on dev mmcblk",
    re.IGNORECASE,
)
_UNDERVOLTAGE = re.compile(r"under-?voltage detected", re.IGNORECASE)


def check_clock(machine: Machine, server_clock: Reading | None = None) -> Result:
    """Synchronised (timesyncd's flag, which the door records with every event), or at least
    told the time by the school's server in this boot (which the door then believes)."""
    if not machine.booted:
        return skipped("clock", "not_booted")
    now = machine.now().astimezone().strftime("%Y-%m-%d %H:%M")
    if machine.path(TIMESYNC_FLAG).exists():
        return ok("clock", now=now)
    boot = machine.path(BOOT_ID)
    this_boot = boot.read_text().strip() if boot.exists() else None
    if server_clock is not None and server_clock.boot_id == this_boot:
        heard = server_clock.wall.astimezone().strftime("%Y-%m-%d %H:%M")
        return ok("clock", "from_server", now=now, heard=heard)
    return fail("clock", "not_synchronised", now=now)


def check_disk(machine: Machine, data_dir: PurePosixPath) -> Result:
    where = machine.path(data_dir)
    while not where.exists() and where != machine.root:
        where = where.parent
    usage = machine.disk_usage(where)
    free_mb, total_mb = usage.free // 2**20, usage.total // 2**20
    if usage.free < max(MIN_FREE_BYTES, MIN_FREE_SHARE * usage.total):
        return fail("disk", "low", path=data_dir, free_mb=free_mb, total_mb=total_mb)
    return ok("disk", path=data_dir, free_mb=free_mb, total_mb=total_mb)


def check_sd_card(machine: Machine) -> Result:
    if not machine.booted:
        return skipped("sd_card", "not_booted")
    log = machine.run(["journalctl", "--dmesg", "--boot", "--no-pager", "--output=cat"])
    if log.returncode != 0:
        log = machine.run(["dmesg"])
    if log.returncode != 0:
        return skipped("sd_card", "no_kernel_log", error=(log.stderr or log.stdout).strip())
    lines = log.stdout.splitlines()
    errors = [line for line in lines if _STORAGE_ERROR.search(line)]
    if errors:
        return fail("sd_card", "errors", count=len(errors), line=errors[0].strip()[:160])
    if any(_UNDERVOLTAGE.search(line) for line in lines):
        return fail("sd_card", "undervoltage")
    return ok("sd_card")


def check_units(machine: Machine) -> list[Result]:
    return [check_unit(machine, unit) for unit in UNITS]


def check_unit(machine: Machine, unit: str) -> Result:
    if not machine.booted:
        return skipped("unit", "not_booted", unit)
    shown = machine.run(
        [
            "systemctl",
            "show",
            "--property=LoadState,ActiveState,SubState,NRestarts,ConditionResult,"
            "ConditionTimestampMonotonic",
            unit,
        ]
    )
    if shown.returncode != 0:
        return skipped("unit", "no_systemctl", unit, error=(shown.stderr or shown.stdout).strip())
    state = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
    if state.get("LoadState") != "loaded":
        return fail("unit", "not_installed", unit, unit=unit)
    restarts = int(state.get("NRestarts", "0") or 0)
    if state.get("ActiveState") == "active":
        if restarts >= RESTARTS_TOO_MANY:
            return fail("unit", "restarting", unit, count=restarts, unit=unit)
        return ok("unit", "ok", unit, state=state.get("SubState", "running"))
    # A unit never started since it was installed also says ConditionResult=no: only a
    # condition that was looked at (its timestamp set) means "waits for pairing".
    checked = state.get("ConditionTimestampMonotonic", "0") not in ("", "0")
    if state.get("ConditionResult") == "no" and checked:
        return skipped("unit", "not_paired", unit, unit=unit)
    return fail(
        "unit",
        "not_running",
        unit,
        unit=unit,
        state=f"{state.get('ActiveState', '?')} ({state.get('SubState', '?')})",
    )


def kiosk_running(results: list[Result]) -> bool:
    """Is the touchscreen up (so a grabbed scanner is grabbed by it)?"""
    return any(r.check == "unit" and r.subject == UNITS[0] and r.status == "ok" for r in results)
