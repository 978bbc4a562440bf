"""Sync, measured beside floors taken in the same run, on this machine.

1. Server ingest (events/s) on SQLite and on PostgreSQL: pushes of 500 real, hash-chained
   events through the server's ingest (dedupe, chain check, loan fold), beside a bare batched
   insert of the same rows into the same database. Target: >= 5,000 events/s, and within 2x
   the floor.
2. A 10,000-event backlog synced end to end: the real `kiosk-server serve` process, the worker's
   `sync once` over HTTP on loopback, which also pulls the school (2,000 readers, 20,000 copies).
   Target: under 5 s. Floor: the bare insert of those rows.
3. p99 push latency with 200 simulated kiosks pushing at once (threads, one batch each, each
   kiosk its own token), on SQLite (one server process) and on PostgreSQL (`serve --workers 2`).
   Target: p99 under 500 ms and within 2x the floor. Floor: 200 GETs of /v1/health at once,
   from the same server. Both on a server already answering (one push and one health check
   first): the first request of each kind pays once for FastAPI's look at its handler.
4. The longest time the worker held the kiosk's write lock during that first sync, and while
   retention deleted the backlog once it was old enough. Target:
   under 20 ms. Floor: a bare one-row commit on the kiosk's file (WAL, synchronous=FULL).

    .venv/bin/python bench/bench_sync.py
    .venv/bin/python bench/bench_sync.py --events 2000 --backlog 1000 --kiosks 20   # quick
    .venv/bin/python bench/bench_sync.py --figures out.jsonl   # also the figures, for run_all
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Figure, write

from kiosk.clocks import ScriptedClock
from kiosk.core.decisions import Event, EventType, Reason
from kiosk.core.journal import GENESIS_HASH, RecordedEvent, Stamp, record
from kiosk.core.models import ClassName, Copy, Reader, ReaderRole
from kiosk.store import Store
from sync.protocol import (
    MAX_PUSH_EVENTS,
    PROTOCOL_VERSION,
    ClockReading,
    PushRequest,
    encode,
    wire_event,
)
from sync.server import accounts, ingest, school_data
from sync.server.db import engine_for, migrate
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.sync.postgres import Cluster
from tests.sync.processes import BIN, ServerProcess

START = datetime(2026, 11, 23, 4, 10, tzinfo=UTC)
MS = 1000.0


def journal(kiosk: str, count: int, copies: int = 20_000, offset: int = 0) -> list[RecordedEvent]:
    """``count`` events of lunchtime visits (session, checkout, end), hash-chained."""
    events: list[RecordedEvent] = []
    prev = GENESIS_HASH
    for n in range(count):
        visit, step = divmod(n, 3)
        card, session = f"2026{visit % 2000:05d}", f"{kiosk}-s{visit}"
        wall = START + timedelta(seconds=10 * n)
        if step == 0:
            event = Event(EventType.SESSION_STARTED, session_id=session, card=card)
        elif step == 1:
            barcode = f"{(offset + visit) % copies:07d}"
            event = Event(
                EventType.CHECKOUT,
                session_id=session,
                card=card,
                barcode=barcode,
                due=date(2026, 12, 7),
            )
        else:
            event = Event(EventType.SESSION_ENDED, Reason.FINISHED, session_id=session, card=card)
        stamp = Stamp(wall, wall, float(n), "bench-boot", True)
        recorded = record(n + 1, str(uuid.uuid4()), kiosk, event, stamp, prev)
        events.append(recorded)
        prev = recorded.hash
    return events


def batches(events: list[RecordedEvent], size: int = MAX_PUSH_EVENTS) -> Iterator[PushRequest]:
    for i in range(0, len(events), size):
        chunk = events[i : i + size]
        last = chunk[-1].stamp
        yield PushRequest(
            protocol=PROTOCOL_VERSION,
            kiosk_id=chunk[0].kiosk_id,
            sent=ClockReading(
                wall=last.wall.isoformat(), mono=last.mono + 1, boot_id=last.boot_id, synced=True
            ),
            events=[wire_event(e) for e in chunk],
        )


def bare_insert(url: str, requests_: list[PushRequest]) -> float:
    """The floor: the same rows, one batched INSERT per batch, one transaction each."""
    from sqlalchemy import BigInteger, Boolean, Column, Float, MetaData, String, Table

    engine = engine_for(url)
    meta = MetaData()
    columns = [
        Column("id", String(36), primary_key=True),
        Column("kiosk", String(64)),
        Column("seq", BigInteger),
        Column("mono_time", Float),
        Column("clock_synced", Boolean),
    ]
    names = [f.name for f in columns]
    text_fields = [k for k in requests_[0].events[0].model_dump() if k not in (*names, "kiosk_id")]
    columns += [Column(k, String(300)) for k in text_fields]
    table = Table("bench_floor", meta, *columns)
    meta.create_all(engine)
    t0 = time.perf_counter()
    for request in requests_:
        rows = []
        for e in request.events:
            d = e.model_dump(mode="json")
            rows.append(
                {
                    "id": e.id,
                    "kiosk": e.kiosk_id,
                    "seq": e.seq,
                    "mono_time": e.mono_time,
                    "clock_synced": e.clock_synced,
                    **{k: str(d[k]) if d[k] is not None else None for k in text_fields},
                }
            )
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def ingest_rate(url: str, count: int) -> tuple[float, float]:
    """(ingest events/s, floor events/s) for ``count`` events of one kiosk."""
    engine = engine_for(url)
    migrate(engine)
    with engine.begin() as conn:
        accounts.add_kiosk(conn, "bench-door", datetime.now(UTC))
    pushes = list(batches(journal("bench-door", count)))
    t0 = time.perf_counter()
    for request in pushes:
        ingest.push(engine, "bench-door", request, datetime.now(UTC))
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return count / elapsed, count / bare_insert(url, pushes)


def build_kiosk(path: Path, count: int) -> Store:
    """A kiosk file whose journal holds ``count`` events the server has never seen."""
    store = Store.create(path, "backlog-door")
    for chunk_start in range(0, count, 1000):
        with store.transaction():
            for recorded in journal(
                "backlog-door", min(1000, count - chunk_start), offset=chunk_start
            ):
                store.append(recorded.event, recorded.stamp)
    return store


def floor_commit(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS floor (n INTEGER)")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO floor (n) VALUES (?)", (i,))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t0)
    conn.close()
    return statistics.median(times)


def backlog(
    folder: Path, count: int, readers: int, copies: int
) -> tuple[float, float, float, float, int]:
    """(sync seconds, floor seconds, longest write lock s, bare commit s, pages pulled) for a
    kiosk's first sync: its backlog pushed, the school's roster and catalogue pulled."""
    url = f"sqlite:///{folder / 'backlog-server.db'}"
    engine = engine_for(url)
    migrate(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        token = accounts.add_kiosk(conn, "backlog-door", now)
        school_data.import_readers(
            conn,
            [
                Reader(
                    f"2026{n:05d}", "同学", ReaderRole.STUDENT, ClassName(1 + n % 6, 1), 1 + n % 6
                )
                for n in range(readers)
            ],
            now,
            deactivate_missing=True,
        )
        school_data.import_copies(
            conn, [Copy(f"{n:07d}", f"书{n}") for n in range(copies)], now, deactivate_missing=True
        )
    engine.dispose()
    store = build_kiosk(folder / "kiosk.db", count)
    store.longest_write = 0.0  # only the worker's transactions count from here
    server = ServerProcess(url)
    client = SyncClient(server.url, token)
    clock = ScriptedClock(START + timedelta(days=1))
    try:
        t0 = time.perf_counter()
        report = sync_once(store, client, Settings(), clock)
        elapsed = time.perf_counter() - t0
    finally:
        client.close()
        server.stop()
    assert report.pushed == count, report
    # Forty days on, retention deletes the acknowledged backlog: its transactions count too.
    retired = store.sync.retire(START + timedelta(days=40))
    assert retired >= count - 3, retired
    longest = store.longest_write
    store.close()
    floor_url = f"sqlite:///{folder / 'backlog-floor.db'}"
    floor = bare_insert(floor_url, list(batches(journal("backlog-door", count))))
    return elapsed, floor, longest, floor_commit(folder / "floor.db", 200), report.pages


def concurrent(
    url: str, kiosks: int, per_push: int, workers: int
) -> tuple[list[float], list[float]]:
    """Latencies of ``kiosks`` pushes at once, and of as many health checks at once, from
    `kiosk-server serve --workers N` on ``url``."""
    engine = engine_for(url)
    migrate(engine)
    tokens = {}
    with engine.begin() as conn:
        for n in range(kiosks + 1):
            tokens[f"door-{n:03d}"] = accounts.add_kiosk(conn, f"door-{n:03d}", datetime.now(UTC))
    engine.dispose()
    bodies = {
        name: encode(next(batches(journal(name, per_push, offset=i * per_push))))
        for i, name in enumerate(tokens)
    }
    warm = sorted(tokens)[-1]  # a kiosk of its own warms the server up
    with serving(url, workers) as address:
        _at_once([(f"{address}/v1/push", tokens[warm], bodies[warm])])
        _at_once([(f"{address}/v1/health", None, None)] * workers)
        pushes = _at_once(
            [(f"{address}/v1/push", tokens[name], bodies[name]) for name in tokens if name != warm]
        )
        health = _at_once([(f"{address}/v1/health", None, None)] * kiosks)
    return pushes, health


@contextmanager
def serving(url: str, workers: int) -> Iterator[str]:
    """`kiosk-server serve` with ``workers`` processes; its address."""
    if workers == 1:
        server = ServerProcess(url)
        try:
            yield server.url
        finally:
            server.stop()
        return
    process = subprocess.Popen(
        [str(BIN / "kiosk-server"), "serve", "--db", url, "--port", "0", "--rate-limit",
         "10000", "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        if "serving" not in line:
            raise RuntimeError(f"kiosk-server did not start: {line}{process.communicate()[1]}")
        yield line.split()[2]
    finally:
        process.terminate()
        process.communicate(timeout=60)


def _at_once(calls: list[tuple[str, str | None, bytes | None]]) -> list[float]:
    barrier = threading.Barrier(len(calls))
    latencies: list[float] = [0.0] * len(calls)
    failures: list[str] = []

    def one(i: int, url: str, token: str | None, body: bytes | None) -> None:
        session = requests.Session()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        barrier.wait()
        t0 = time.perf_counter()
        if body is None:
            answer = session.get(url, timeout=(10, 120))
        else:
            answer = session.post(url, data=body, headers=headers, timeout=(10, 120))
        latencies[i] = time.perf_counter() - t0
        if answer.status_code != 200:
            failures.append(f"{answer.status_code} {answer.text[:100]}")
        session.close()

    threads = [threading.Thread(target=one, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} request(s) failed, e.g. {failures[0]}")
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="events per ingest run")
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--readers", type=int, default=2000, help="the school's roster")
    parser.add_argument("--copies", type=int, default=20_000, help="and its catalogue")
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--per-push", type=int, default=30, help="events in each kiosk's push")
    parser.add_argument("--workers", type=int, default=2, help="server processes on PostgreSQL")
    parser.add_argument("--figures", type=Path, help="also write the figures here (JSON lines)")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as name:
        folder = Path(name)
        cluster = Cluster(durable=True).start()  # PostgreSQL with its default durability
        try:
            sqlite_rate, sqlite_floor = ingest_rate(
                f"sqlite:///{folder / 'ingest.db'}", args.events
            )
            pg_rate, pg_floor = ingest_rate(cluster.create_database("bench"), args.events)
            pg_pushes, pg_health = concurrent(
                cluster.create_database("many"), args.kiosks, args.per_push, args.workers
            )
        finally:
            cluster.stop()
        sync_s, sync_floor, lock_s, commit_s, pages = backlog(
            folder, args.backlog, args.readers, args.copies
        )
        pushes, health = concurrent(
            f"sqlite:///{folder / 'many.db'}", args.kiosks, args.per_push, 1
        )
    figures = [
        *_ingest("SQLite", sqlite_rate, sqlite_floor),
        *_ingest("PostgreSQL", pg_rate, pg_floor),
        Figure("bench_sync", f"backlog of {args.backlog:,} events to the server, end to end, "
               f"with the first pull ({args.readers:,} readers, {args.copies:,} copies in "
               f"{pages} pages)", sync_s, "s", sync_floor, "bare batched insert of the events",
               "< 5 s", sync_s < 5),
        *_latency(f"{args.kiosks} kiosks pushing at once, SQLite", pushes, health),
        *_latency(f"{args.kiosks} kiosks pushing at once, PostgreSQL, --workers {args.workers}",
                  pg_pushes, pg_health),
        Figure("bench_sync", "longest kiosk write lock held by the worker", lock_s * MS, "ms",
               commit_s * MS, "median bare 1-row commit, same settings", "< 20 ms",
               lock_s * MS < 20),
    ]  # fmt: skip
    print(f"\n{'':60} {'figure':>12} {'floor':>12} {'ratio':>7}")
    for f in figures:
        ratio = f"{f.ratio:6.1f}x" if f.ratio is not None else ""
        floor = f"{f.floor:12,.1f}" if f.floor is not None else " " * 12
        print(f"{f.what[:60]:60} {f.value:12,.1f} {floor} {ratio}  ({f.unit}; floor: "
              f"{f.floor_what})")  # fmt: skip
    met = [f"{f.what[:40]}: {f.target} {'met' if f.met else 'NOT met'}" for f in figures
           if f.met is not None]  # fmt: skip
    print("target: " + "; ".join(met))
    write(args.figures, figures)


def _ingest(database: str, rate: float, floor: float) -> list[Figure]:
    return [
        Figure("bench_sync", f"server ingest, {database}", rate, "events/s", floor,
               "bare batched insert, same database", ">= 5,000 events/s, within 2x floor",
               rate >= 5000 and floor / rate <= 2),
    ]  # fmt: skip


def _latency(what: str, pushes: list[float], health: list[float]) -> list[Figure]:
    p_med, p99 = statistics.median(pushes) * MS, pct(pushes, 99) * MS
    h_med, h99 = statistics.median(health) * MS, pct(health, 99) * MS
    floor = "as many GET /v1/health at once"
    return [
        Figure("bench_sync", f"{what}, median", p_med, "ms", h_med, floor),
        Figure("bench_sync", f"{what}, p99", p99, "ms", h99, floor,
               "p99 < 500 ms, within 2x floor", p99 < 500 and p99 <= 2 * h99),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
