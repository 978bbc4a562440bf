"""What goes wrong, and when: the fault plan, drawn from the seed before the first visit.

Each fault is tied to the visit it comes before; one that lasts (a process down, a network cut,
an unsynchronised clock) gets its end scheduled too. The numbers of each kind are fixed per run
length, so that every kind happens at least once in the short run and the full week reaches
the counts it promises (kills, network faults, clock steps, one restore of each kind).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from tools.chaos.crowd import DOORS

# Readings of a Pi's clock after a power cut, and of a clock set wrong while running.
SAVED, EPOCH, DEAD_RTC, AHEAD = "saved", "1970", "2099", "38_days_ahead"
POWER_CUT_READINGS = (SAVED, EPOCH, DEAD_RTC, AHEAD)
LIVE_STEP_READINGS = (AHEAD, EPOCH)


@dataclass(frozen=True)
class Fault:
    kind: str  # see MIX
    door: str | None = None
    reading: str = ""  # a clock's reading after a power cut or a step
    seconds: float = 0.0  # a network delay


@dataclass(frozen=True)
class Mix:
    """How many of each fault a run has."""

    worker_kills: int
    server_kills: int
    database_crashes: int  # PostgreSQL only
    scan_kills: int
    power_cuts: int
    clock_steps: int  # a running machine's clock set wrong
    cuts: int
    delays: int
    lost_answers: int  # cut half-way after the server committed
    held_answers: int  # held back until the worker gave up
    cut_uploads: int  # a push's body cut half-way
    admin_syncs: int  # `kiosk sync once` run by hand beside the running worker


SHORT = Mix(3, 2, 1, 2, 4, 1, 2, 2, 2, 1, 1, 1)
FULL = Mix(30, 9, 6, 10, 7, 3, 8, 7, 10, 4, 5, 4)


def plan(visits: int, mix: Mix, rng: random.Random, *, postgres: bool) -> dict[int, list[Fault]]:
    """The faults before each visit (by index), the backups and restores included."""
    faults: dict[int, list[Fault]] = defaultdict(list)

    def at(index: int, fault: Fault) -> None:
        faults[min(max(index, 1), visits - 1)].append(fault)

    def some(count: int) -> list[int]:
        return [rng.randrange(1, visits - 2) for _ in range(count)]

    def door() -> str:
        return rng.choice(DOORS)

    for i in some(mix.worker_kills):
        d = door()
        at(i, Fault("kill_worker", d))
        at(i + rng.choice((0, 0, 1, 2, 4)), Fault("start_worker", d))
    server_kills = mix.server_kills + (0 if postgres else mix.database_crashes)
    for i in some(server_kills):
        at(i, Fault("kill_server"))
        at(i + rng.choice((0, 1, 1, 2, 3)), Fault("start_server"))
    if postgres:
        for i in some(mix.database_crashes):
            at(i, Fault("crash_database"))
            at(i + rng.choice((0, 1, 2)), Fault("start_database"))
    for i in some(mix.scan_kills):
        at(i, Fault("kill_scan"))
    readings = list(POWER_CUT_READINGS)
    rng.shuffle(readings)
    readings += [rng.choice(POWER_CUT_READINGS) for _ in range(mix.power_cuts - len(readings))]
    for i, reading in zip(some(mix.power_cuts), readings, strict=False):
        d = door()
        at(i, Fault("power_cut", d, reading))
        at(i + rng.randint(1, 6), Fault("ntp", d))
    for i in some(mix.clock_steps):
        d = door()
        at(i, Fault("step_clock", d, rng.choice(LIVE_STEP_READINGS)))
        at(i + rng.randint(1, 5), Fault("ntp", d))
    for i in some(mix.cuts):
        d = door()
        at(i, Fault("cut", d))
        at(i + rng.randint(1, 5), Fault("mend", d))
    for i in some(mix.delays):
        d = door()
        slow = rng.choice((0.5, 3.0))  # slow, or slower than the worker's read timeout
        at(i, Fault("delay", d, seconds=slow))
        at(i + rng.randint(1, 4), Fault("undelay", d))
    for i in some(mix.lost_answers):
        at(i, Fault("lose_answer", door()))
    for i in some(mix.held_answers):
        d = door()
        at(i, Fault("hold_answer", d))
        at(i + rng.randint(1, 3), Fault("release", d))
    for i in some(mix.cut_uploads):
        at(i, Fault("cut_upload", door()))
    for i in some(mix.admin_syncs):
        at(i, Fault("admin_sync", door()))
    # The server's backup is made after the kiosk's restore: what the restored kiosk lost it had
    # sent, and it is in the server's backup. The other way round, decisions made at that
    # kiosk between its backup and its restore would exist only on the replaced card and in
    # the server's lost days: lost by any system, not a difference this run should find.
    restored = door()
    at(visits * 10 // 100, Fault("backup_kiosk", restored))
    at(visits * 30 // 100, Fault("restore_kiosk", restored))
    at(visits * 45 // 100, Fault("backup_server"))
    at(visits * 70 // 100, Fault("restore_server"))
    return dict(faults)
