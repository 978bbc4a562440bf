"""The end of the run: every fault ended, every worker lets go, each kiosk syncs cleanly, and
what the server and the kiosks hold is collected and checked against the ledger.

Everything is read through the real commands (`kiosk-server export events` and `review --json`,
`kiosk loans --json`, `kiosk doctor --json`) except the server's loans table and the effective
times of its events, which no command prints: those are read with the server's own tables.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from typing import Any

from sqlalchemy import select

from sync.server.db import engine_for, reading
from sync.server.tables import events, loans
from tests.sync.processes import server_command
from tools.chaos import checks
from tools.chaos.checks import Check
from tools.chaos.ledger import Ledger, journal
from tools.chaos.processes import TRACEBACK
from tools.chaos.run import Simulation
from tools.chaos.school import PG_DATABASE, School

SYNC_ROUNDS = 3  # push everything; pull what the others pushed; see that nothing is left


def settle(sim: Simulation, school: School) -> Check:
    """End every fault, stop the workers, and sync each kiosk in turn until all agree."""
    check = Check("workers stopped and final syncs clean")
    for door in school.doors.values():
        door.proxy.calm()
        if not door.clock.right:
            door.clock.ntp()
            sim.counts.clock_steps["NTP: synchronised to the truth"] += 1
    school.start_database()
    school.start_server()
    for door in school.doors.values():
        status = door.worker.stop()
        if status not in (None, 0):
            check.problems.append(f"{door.name}'s worker exited {status} on SIGTERM")
    for n in range(SYNC_ROUNDS):
        for door in school.doors.values():
            check.checked += 1
            done = school.sync_once(door)
            if done.returncode != 0 or TRACEBACK in done.stderr:
                check.problems.append(
                    f"round {n + 1}, {door.name}: `kiosk sync once` exit {done.returncode}: "
                    f"{done.stderr.strip()[-400:]}"
                )
            elif n == SYNC_ROUNDS - 1 and not done.stdout.split(": ", 1)[-1].startswith("0 event"):
                check.problems.append(f"{door.name} still sending in the last round: {done.stdout}")
    for door in school.doors.values():
        sim.ledger.observe(
            door.name, door.db, clock_right=door.clock.right, visit=len(sim.ledger.scans)
        )
    return check


def _server_json(*argv: str) -> list[dict[str, Any]]:
    done = server_command(*argv)
    if done.returncode != 0:
        raise RuntimeError(f"kiosk-server {' '.join(argv[:2])} failed: {done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def _server_tables(url: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The server's checkouts and returns in its own order, and its loans table."""
    engine = engine_for(url)
    try:
        c = events.c
        with reading(engine) as conn:
            folded = [
                {
                    "id": r.id,
                    "kiosk_id": r.kiosk,
                    "seq": r.seq,
                    "type": r.type,
                    "card": r.card,
                    "due": r.due,
                    "flags": [f for f in r.flags.split(",") if f],
                    "barcode": r.barcode,
                    "effective_time": r.effective_time,
                }
                for r in conn.execute(
                    select(events)
                    .where(c.type.in_(["checkout", "renewal", "return"]), c.barcode.is_not(None))
                    .order_by(c.barcode, c.effective_time, c.kiosk, c.seq)
                )
            ]
            table = {r.barcode: dict(r._mapping) for r in conn.execute(select(loans))}
    finally:
        engine.dispose()
    return folded, table


def _integrity(school: School) -> Check:
    check = Check("databases pass their integrity checks")
    for door in school.doors.values():
        check.checked += 1
        done = school.kiosk(door, "doctor", "--db", door.db, "--json")
        if done.returncode != 0:
            failed = [
                f"{p['check']}: {'; '.join(p['problems'])}"
                for p in map(json.loads, done.stdout.splitlines())
                if not p["ok"]
            ]
            check.problems.append(f"{door.name}: kiosk doctor: {' | '.join(failed) or done.stderr}")
    check.checked += 1
    if school.cluster is None:
        with sqlite3.connect(school.folder / "server.db") as conn:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if found != ["ok"]:
            check.problems.append(f"server: PRAGMA integrity_check: {found[:5]}")
    else:
        cluster = school.cluster
        done = subprocess.run(
            [
                str(cluster.bindir / "pg_amcheck"),
                "--install-missing",
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                PG_DATABASE,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            check.problems.append(f"server: pg_amcheck: {(done.stdout + done.stderr)[:400]}")
    return check


def _processes(sim: Simulation, school: School) -> list[Check]:
    workers = Check("sync workers that crashed (traceback, or died on their own)")
    for door in school.doors.values():
        workers.checked += 1
        log = door.worker.log.read_text(errors="replace")
        if TRACEBACK in log:
            last = [line for line in log.splitlines() if line and not line.startswith(" ")]
            workers.problems.append(
                f"{door.name}: {log.count(TRACEBACK)} traceback(s), last: {last[-1]}"
            )
    workers.problems += sim.counts.worker_deaths
    admin = Check("a sync by hand beside the running worker: no traceback")
    for done in sim.counts.admin_syncs:
        admin.checked += 1
        if TRACEBACK in done:
            admin.problems.append(done)
    up, down = school.server_errors()
    server = Check("server errors logged while its database was up (tracebacks)")
    server.checked = up + down
    if up:
        server.problems.append(f"{up} traceback(s) in {school.folder / 'server.log'}")
    return [workers, admin, server]


def check_all(sim: Simulation, school: School) -> list[Check]:
    settled = settle(sim, school)
    ledger: Ledger = sim.ledger
    exported = _server_json("export", "events", "--db", school.url)
    review = _server_json("review", "--db", school.url, "--json")
    folded, table = _server_tables(school.url)
    kiosk_loans = {}
    for door in school.doors.values():
        done = school.kiosk(door, "loans", "--db", door.db, "--json")
        kiosk_loans[door.name] = [json.loads(line) for line in done.stdout.splitlines()]
    sim.counts.notes += school.notes
    truth = checks.true_history(ledger)
    kept = frozenset(e["id"] for door in school.doors.values() for e in journal(door.db))
    on_server, lost = checks.on_the_server(ledger, exported, kept)
    after = checks.consequences()
    return [
        *on_server,
        checks.replayed(folded, table),
        *checks.in_true_order(truth, table, lost, after),
        checks.kiosks_agree(table, kiosk_loans, lost, after),
        *checks.inbox(ledger, truth, review, lost, after),
        after,
        _integrity(school),
        *checks.scans(ledger),
        settled,
        *_processes(sim, school),
    ]
