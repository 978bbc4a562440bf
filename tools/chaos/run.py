"""The simulation: the school's days visit by visit, with the fault plan applied between visits.

One process drives everything, one visit at a time (so the order of the visits is the true
order). Before each visit the true time jumps to the visit's moment (every kiosk's clock with
it), the faults planned for that moment are applied, and processes that should run and died
are noted and started again. Then the visit's `kiosk scan` runs at its door, and the door's new
journal events are read into the ledger.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kiosk.core.policy_file import parse_policy
from tools.chaos import faults
from tools.chaos.crowd import DOORS, Crowd, Holdings
from tools.chaos.faults import Fault
from tools.chaos.ledger import Ledger, Scan
from tools.chaos.school import SAMPLE, Door, School
from tools.chaos.timeline import TrueTime, local, school_days

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEAD_RTC = datetime(2099, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Options:
    seed: int
    database: str  # "sqlite" or "postgresql"
    days: int  # school days after the earlier one
    visits_per_day: int
    mix: faults.Mix
    today: date


@dataclass
class Counts:
    kills: Counter[str] = field(default_factory=Counter)
    network: Counter[str] = field(default_factory=Counter)
    clock_steps: Counter[str] = field(default_factory=Counter)
    restores: Counter[str] = field(default_factory=Counter)
    worker_deaths: list[str] = field(default_factory=list)  # workers that died on their own
    notes: list[str] = field(default_factory=list)  # what could not be done as planned
    admin_syncs: list[str] = field(default_factory=list)  # how each went: "door: exit N ..."


class Simulation:
    def __init__(self, options: Options, folder: Path) -> None:
        self.options = options
        self.folder = folder
        rng = random.Random(options.seed)
        # One generator per concern: the plan and the times do not move when a door answers
        # differently (the crowd's next choice depends on what the doors did).
        self.plan_rng, self.time_rng, self.crowd_rng, self.boot_rng = (
            random.Random(rng.getrandbits(64)) for _ in range(4)
        )
        self.days = school_days(options.today, options.days)
        self.truth = TrueTime()
        self.ledger = Ledger()
        self.holdings = Holdings()
        self.counts = Counts()
        self.school: School | None = None
        self.server_wanted = True
        self.workers_wanted: set[str] = set(DOORS)
        self.kill_next_scan = False
        self.kiosk_backup: tuple[Path, datetime] | None = None
        self.later: dict[int, list[Fault]] = {}

    def boot_id(self) -> str:
        return str(uuid.UUID(int=self.boot_rng.getrandbits(128), version=4))

    def schedule(self, crowd: Crowd) -> list[tuple[datetime, bool]]:
        """(moment, on the earlier day) of every visit, in order."""
        visits: list[tuple[datetime, bool]] = []
        earlier = max(8, self.options.visits_per_day // 2)
        for n, day in enumerate(self.days):
            count = earlier if n == 0 else self.options.visits_per_day
            visits += [(t, n == 0) for t in crowd.day_times(day, count)]
        return visits

    def run(self) -> School:
        first = self.days[0]
        self.truth.offset = TrueTime.starting_at(local(first, 7, 0)).offset
        school = self.school = School(
            self.folder, self.options.database, self.truth, self.days, self.boot_id
        )
        policy = parse_policy(school.policy.read_text(encoding="utf-8"))
        time_crowd = Crowd(SAMPLE / "roster.csv", SAMPLE / "catalog.csv", policy, self.time_rng)
        crowd = Crowd(SAMPLE / "roster.csv", SAMPLE / "catalog.csv", policy, self.crowd_rng)
        visits = self.schedule(time_crowd)
        plan = faults.plan(
            len(visits), self.options.mix, self.plan_rng, postgres=school.cluster is not None
        )
        for door in school.doors.values():
            school.start_worker(door)
        for index, (moment, earlier) in enumerate(visits):
            self._jump(moment)
            for fault in plan.get(index, []) + self.later.pop(index, []):
                self._record({"before_visit": index, "fault": asdict(fault)})
                self.apply(fault, index)
            self._keep_running()
            self.visit(index, crowd, moment, earlier)
        return school

    def _jump(self, moment: datetime) -> None:
        assert self.school is not None
        jumped = self.truth.jump_to(moment)
        self.school.server_clock.passed(jumped)
        for door in self.school.doors.values():
            door.clock.passed(jumped)

    def _keep_running(self) -> None:
        """Start what should run: a worker that died on its own is noted first."""
        school = self.school
        assert school is not None
        if self.server_wanted and school.server is None:
            school.start_server()  # False while PostgreSQL is down: tried again next visit
        for name in sorted(self.workers_wanted):
            door = school.doors[name]
            process = door.worker.process
            if process is not None and process.poll() is not None:
                tail = door.worker.log.read_text(errors="replace").splitlines()[-3:]
                self.counts.worker_deaths.append(
                    f"{name}: exit status {process.returncode}: {' | '.join(tail)}"
                )
                door.worker.stop()  # reaps it
            school.start_worker(door)

    def visit(self, index: int, crowd: Crowd, moment: datetime, earlier: bool) -> None:
        assert self.school is not None
        v = crowd.visit(moment, self.holdings, history=earlier)
        door = self.school.doors[v.door]
        kill_after = None
        if self.kill_next_scan and len(v.codes) > 1:
            kill_after = self.plan_rng.randint(1, len(v.codes) - 1)
            self.kill_next_scan = False
        right = door.clock.right
        shown, status, err, killed = self.school.scan(door, v.codes, kill_after)
        if killed:
            self.counts.kills["kiosk scan (mid-visit)"] += 1
        scan = Scan(index, v.door, v.kind, v.codes, moment.isoformat(), right)
        scan.shown, scan.status, scan.stderr, scan.killed = shown, status, err, killed
        scan.events = self.ledger.observe(v.door, door.db, clock_right=right, visit=index)
        for e in scan.events:
            self.holdings.apply(e)
        self.ledger.scans.append(scan)
        self._record({"visit": asdict(scan)})

    def _record(self, entry: dict[str, object]) -> None:
        """One line of the run's own record (run.jsonl in its folder), to see what happened."""
        with (self.folder / "run.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    # -- faults -----------------------------------------------------------------------------

    def apply(self, fault: Fault, index: int) -> None:
        school = self.school
        assert school is not None
        door = school.doors[fault.door] if fault.door else None
        counts = self.counts
        match fault.kind:
            case "kill_worker" if door is not None:
                self.workers_wanted.discard(door.name)
                if school.kill_worker(door):
                    counts.kills["sync worker"] += 1
            case "start_worker" if door is not None:
                self.workers_wanted.add(door.name)
            case "kill_server":
                self.server_wanted = False
                if school.kill_server():
                    counts.kills["server"] += 1
            case "start_server":
                self.server_wanted = True
            case "crash_database":
                if school.crash_database():
                    counts.kills["PostgreSQL (pg_ctl stop -m immediate)"] += 1
            case "start_database":
                school.start_database()
            case "kill_scan":
                self.kill_next_scan = True
            case "power_cut" if door is not None:
                self._power_cut(door, self._reading(fault.reading), f"power cut: {fault.reading}")
            case "step_clock" if door is not None:
                door.clock.step(self._reading(fault.reading))
                counts.clock_steps[f"stepped while running: {fault.reading}"] += 1
            case "ntp" if door is not None:
                if not door.clock.right:
                    door.clock.ntp()
                    counts.clock_steps["NTP: synchronised to the truth"] += 1
            case "cut" if door is not None:
                door.proxy.cut()
                counts.network["network cut"] += 1
            case "mend" if door is not None:
                door.proxy.mend()
            case "delay" if door is not None:
                door.proxy.faults.delay = fault.seconds
                counts.network[f"answers delayed {fault.seconds:g} s"] += 1
            case "undelay" if door is not None:
                door.proxy.faults.delay = 0.0
            case "lose_answer" if door is not None:
                door.proxy.faults.reset_answer = True
                counts.network["answer cut after the server committed"] += 1
            case "hold_answer" if door is not None:
                door.proxy.hold_next()
                counts.network["answer held back after the server committed"] += 1
            case "release" if door is not None:
                door.proxy.release()
            case "cut_upload" if door is not None:
                door.proxy.cut_upload = True
                counts.network["upload cut half-way"] += 1
            case "admin_sync" if door is not None:
                # An IT teacher runs a sync by hand while the service's worker runs.
                done = school.sync_once(door)
                counts.admin_syncs.append(
                    f"{door.name}: exit {done.returncode}: {done.stderr.strip()[-300:]}"
                )
            case "backup_kiosk" if door is not None:
                self.kiosk_backup = (school.backup_kiosk(door), self.truth.now())
                counts.restores[f"{door.name}: backup copy made (sqlite3 backup API)"] += 1
            case "restore_kiosk" if door is not None:
                self._restore_kiosk(door, index)
            case "backup_server":
                self._database_up()
                school.backup_server()
                self.ledger.milestones["server backed up"] = index
                counts.restores["server: backup made"] += 1
            case "restore_server":
                self._database_up()
                school.restore_server()
                self.ledger.milestones["server restored"] = index
                self.server_wanted = True
                counts.restores["server: database restored from the backup"] += 1
            case _:
                raise ValueError(f"unknown fault {fault}")

    def _reading(self, reading: str) -> datetime:
        now = self.truth.now()
        return {
            faults.SAVED: now - timedelta(minutes=self.plan_rng.uniform(5, 90)),
            faults.EPOCH: EPOCH + timedelta(seconds=self.plan_rng.uniform(0, 30)),
            faults.DEAD_RTC: DEAD_RTC,
            faults.AHEAD: now + timedelta(days=38),
        }[reading]

    def _power_cut(self, door: Door, reads: datetime, label: str) -> None:
        """The Pi loses power and boots again: its worker dies, its clock reads ``reads``."""
        assert self.school is not None
        if self.school.kill_worker(door):
            self.counts.kills["sync worker (power cut)"] += 1
        door.clock.power_cut(reads, self.boot_id())
        self.counts.clock_steps[label] += 1
        self.workers_wanted.add(door.name)  # the service starts at boot

    def _database_up(self) -> None:
        assert self.school is not None
        self.school.start_database()
        if self.server_wanted:
            self.school.start_server()

    def _restore_kiosk(self, door: Door, index: int) -> None:
        """The SD card died; the school writes the backup to a new one. What the kiosk decided
        since the backup is on the server (its worker syncs all day): one more sync first."""
        school = self.school
        assert school is not None and self.kiosk_backup is not None
        backup, made_at = self.kiosk_backup
        self.server_wanted = True
        self._database_up()
        if school.kill_worker(door):
            self.counts.kills["sync worker (the card is replaced)"] += 1
        synced = school.sync_once(door, direct=True)
        if synced.returncode != 0:
            self.counts.notes.append(
                f"{door.name}: the sync before the restore failed: {synced.stderr.strip()}"
            )
        school.restore_kiosk(door, backup)
        self.ledger.rewound(door.name, door.db)
        self.ledger.milestones[f"{door.name} restored"] = index
        # fake-hwclock's file was restored too: the Pi boots reading the backup's time.
        self._power_cut(door, made_at, "power cut: the restored card's saved time")
        self.later.setdefault(index + 2, []).append(Fault("ntp", door.name))
        self.counts.restores[f"{door.name}: kiosk file restored from the backup"] += 1
