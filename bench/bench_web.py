"""How long the librarian waits for the overdue and weekly pages and the events export, with a
school district's term of events, on SQLite and on PostgreSQL, beside a floor.

The floor is the bare query that counts those events (``SELECT count(*) FROM events``), timed on
the same database in the same run, interleaved with the pages so both see the same noise. The
pages are fetched over real HTTP from the real server (its pages, its queries, its templates),
signed in as a librarian; medians of several runs. The export is the whole log as CSV: its time,
and the peak memory (tracemalloc) while streaming a quarter of the events and all of them, which
must stay flat as the events grow. Targets: each page under 1 s; the export's peak memory for all
the events within 1.5x that for a quarter.

    .venv/bin/python bench/bench_web.py                      # 1,000,000 events, 2,000 readers
    .venv/bin/python bench/bench_web.py --events 100000 --databases sqlite

The events are written in bulk (executemany on SQLite, COPY on PostgreSQL): the pages read them,
they do not check their hashes, so the hash fields are placeholders.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' PostgreSQL cluster and live server helpers

from figures import Figure, write  # noqa: E402

from sync.server import school_data  # noqa: E402
from sync.server.app import create_app  # noqa: E402
from sync.server.db import engine_for, migrate  # noqa: E402
from sync.server.ratelimit import RateLimit  # noqa: E402
from sync.server.tables import UtcTime  # noqa: E402
from sync.server.web import staff  # noqa: E402
from tests.sync.conftest import serve_in_thread  # noqa: E402

POLICY = ROOT / "kiosk" / "sample" / "policy.toml"
NOW = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)  # a Monday afternoon in Shanghai, week 16
TERM_START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
KIOSKS = ("door-1", "door-2", "door-3", "door-4")
FLOOR_LABEL = "floor: SELECT count(*) FROM events"
COLUMNS = (
    "id", "kiosk", "seq", "format", "type", "reason", "session_id", "card", "barcode", "code",
    "due", "flags", "wall_time", "clock_time", "mono_time", "boot_id", "clock_synced",
    "prev_hash", "hash", "clock_source", "received_at", "effective_time", "timing",
)  # fmt: skip
HASH = hashlib.sha256(b"bench").hexdigest()
_utc = UtcTime()


def stored(moment: datetime) -> str:
    """A moment as the server's UtcTime column writes it."""
    return str(_utc.process_bind_param(moment, None))  # type: ignore[arg-type]


def cards(readers: int) -> list[tuple[str, str, str | None, int | None, str]]:
    """(card, given name, class, grade, role): 60 classes of a big primary school, teachers."""
    teachers = max(1, readers // 25)
    out: list[tuple[str, str, str | None, int | None, str]] = [
        (f"T{n:04d}", "老师", None, None, "teacher") for n in range(teachers)
    ]
    for n in range(readers - teachers):
        grade, number = 1 + n % 6, 1 + (n // 6) % 10
        out.append((f"2026{n:05d}", f"同学{n % 97}", f"{grade}-{number}", grade, "student"))
    return out


def event_rows(events: int, people: list[str], copies: int) -> Iterator[tuple[Any, ...]]:
    """A term of lunchtimes at four doors: sessions, checkouts, returns and refusals."""
    rng = random.Random(9)
    span = (NOW - TERM_START).total_seconds()
    seqs = dict.fromkeys(KIOSKS, 0)
    kinds = (
        ["session_started"] * 15 + ["checkout"] * 30 + ["return"] * 28
        + ["refusal"] * 12 + ["session_ended"] * 15
    )  # fmt: skip
    for n in range(events):
        kiosk = KIOSKS[n % len(KIOSKS)]
        seqs[kiosk] += 1
        moment = TERM_START + timedelta(seconds=span * n / events)
        kind = rng.choice(kinds)
        card = rng.choice(people) if kind != "return" else None
        barcode = f"{rng.randrange(copies):07d}" if kind in ("checkout", "return") else None
        reason = {"refusal": "limit_reached", "session_ended": "finished"}.get(kind, "ok")
        due = (moment + timedelta(days=14)).date().isoformat() if kind == "checkout" else None
        wall = moment.isoformat()
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), kiosk, seqs[kiosk], 2, kind,
            reason, f"s{n // 5}", card, barcode, barcode if kind == "refusal" else None, due, "",
            wall, wall, float(n), "bench-boot", True, HASH, HASH, "system", stored(moment),
            stored(moment), "clock",
        )  # fmt: skip


def build(url: str, events: int, readers: int, copies: int) -> tuple[Engine, float]:
    """The school's server database, filled; the seconds it took."""
    started = time.perf_counter()
    engine = engine_for(url)
    migrate(engine)
    with engine.begin() as conn:
        school_data.save_policy(conn, POLICY.read_text(encoding="utf-8"), NOW)
        staff.add(conn, "bench", staff.Role.LIBRARIAN, "bench password", NOW)
    people = cards(readers)
    with engine.begin() as conn:
        conn.execute(text("UPDATE counters SET value = 1 WHERE name = 'revision'"))
        conn.execute(
            text(
                "INSERT INTO readers (card, given_name, role, class_name, grade, active, deleted,"
                " revision, updated_at) VALUES (:c, :n, :r, :k, :g, TRUE, FALSE, 1, :u)"
            ),
            [
                {"c": c, "n": n, "r": r, "k": k, "g": g, "u": stored(NOW)}
                for c, n, k, g, r in people
            ],
        )
        conn.execute(
            text(
                "INSERT INTO copies (barcode, isbn, title, author, category, loan_type, price,"
                " isbn_only, active, deleted, revision, added_at, updated_at) VALUES"
                " (:b, NULL, :t, '佚名', 'I287', 'loan', '12.50', FALSE, TRUE, FALSE, 1, :u, :u)"
            ),
            [{"b": f"{n:07d}", "t": f"图书{n}", "u": stored(NOW)} for n in range(copies)],
        )
        for kiosk in KIOSKS:
            conn.execute(
                text(
                    "INSERT INTO kiosks (name, token_hash, created_at, acked_through)"
                    " VALUES (:n, :h, :c, 0)"
                ),
                {"n": kiosk, "h": hashlib.sha256(kiosk.encode()).hexdigest(), "c": stored(NOW)},
            )
        # What is on loan now: a book for every third reader, one in five of them overdue.
        rng = random.Random(3)
        lent = rng.sample(range(copies), k=min(copies, len(people) // 3))
        conn.execute(
            text(
                "INSERT INTO loans (barcode, on_loan, card, borrowed_at, due, kiosk,"
                " checkout_event, last_event, revision) VALUES"
                " (:b, TRUE, :c, :t, :d, 'door-1', 'e', 'e', 1)"
            ),
            [
                {
                    "b": f"{b:07d}",
                    "c": people[i * 3][0],
                    "t": stored(NOW - timedelta(days=20 if i % 5 == 0 else 3)),
                    "d": (NOW.date() - timedelta(days=6 if i % 5 == 0 else -11)).isoformat(),
                }
                for i, b in enumerate(lent)
            ],
        )
    rows = event_rows(events, [p[0] for p in people], copies)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        names = ", ".join(COLUMNS)
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY events ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")  # one transaction (the driver is in autocommit mode)
            marks = ", ".join("?" * len(COLUMNS))
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(f"INSERT INTO events ({names}) VALUES ({marks})", batch)  # noqa: S608
                    batch = []
            cursor.executemany(f"INSERT INTO events ({names}) VALUES ({marks})", batch)  # noqa: S608
        raw.commit()
    finally:
        raw.close()
    # A school's database in its steady state: statistics gathered, and on PostgreSQL the
    # visibility map set (autovacuum would have), so index-only scans can be index-only.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return engine, time.perf_counter() - started


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sign_in(url: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    page = session.get(url + "/signin", timeout=60)
    token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
    assert token is not None
    done = session.post(
        url + "/signin",
        data={"signin_token": token.group(1), "name": "bench", "password": "bench password"},
        allow_redirects=False,
        timeout=60,
    )
    assert done.status_code == 303, done.text
    return session


def fetch(session: requests.Session, url: str, expect: str) -> int:
    """The page, read to its end; the bytes received."""
    answer = session.get(url, timeout=600, stream=True)
    assert answer.status_code == 200, answer.text[:500]
    size = 0
    first = b""
    for chunk in answer.iter_content(64 * 1024):
        if not first:
            first = chunk
        size += len(chunk)
    assert expect.encode() in first, first[:300]
    return size


def export_peak(session: requests.Session, url: str) -> tuple[int, int]:
    """Peak traced memory (bytes) while the export streams, and the bytes it sent."""
    tracemalloc.start()
    try:
        size = fetch(session, url, "number")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, size


def run(name: str, url: str, args: argparse.Namespace) -> bool:
    engine, seconds = build(url, args.events, args.readers, args.copies)
    print(f"\n{name}: {args.events:,} events, {args.readers:,} readers, {args.copies:,} copies "
          f"written in {seconds:.1f} s")  # fmt: skip
    app = create_app(engine, rate_limit=RateLimit(limit=10**6), clock=lambda: NOW)
    address, server, thread = serve_in_thread(app)
    ok = True
    try:
        session = sign_in(address)
        pages = {
            "overdue page (/overdue)": (address + "/overdue", "逾期未还"),
            "weekly page (/weekly)": (address + "/weekly", "每周借阅统计"),
        }
        floor: list[float] = []
        found: list[Figure] = []
        times: dict[str, list[float]] = {p: [] for p in pages}

        def count() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM events")).scalar_one()

        count()  # warm both the database's cache and the server's
        for page_url, expect in pages.values():
            fetch(session, page_url, expect)
        for _ in range(args.repeat):
            floor.append(timed(count))
            for page, (page_url, expect) in pages.items():
                times[page].append(timed(lambda u=page_url, e=expect: fetch(session, u, e)))
        base = statistics.median(floor)
        print(f"  {FLOOR_LABEL:<44} {base * 1000:9.1f} ms")
        for page, values in times.items():
            median = statistics.median(values)
            met = median < 1.0
            ok &= met
            found.append(Figure("bench_web", f"{page}, {name}, median of {args.repeat}",
                                median * 1000, "ms", base * 1000, "SELECT count(*) FROM events",
                                "< 1,000 ms", met))  # fmt: skip
            print(f"  {page:<44} {median * 1000:9.1f} ms   ratio {median / base:6.1f}x floor"
                  f"   target: < 1000 ms {'met' if met else 'NOT met'}")  # fmt: skip
        export = address + "/export/events.csv"
        started = time.perf_counter()
        size = fetch(session, export, "number")
        elapsed = time.perf_counter() - started
        print(f"  {'events CSV export (/export/events.csv)':<44} {elapsed * 1000:9.1f} ms"
              f"   ratio {elapsed / base:6.1f}x floor   {size / 1e6:.1f} MB, "
              f"{args.events / elapsed:,.0f} events/s")  # fmt: skip
        found.append(Figure("bench_web", f"events CSV export, {name} ({size / 1e6:.0f} MB, "
                            f"{args.events / elapsed:,.0f} events/s)", elapsed * 1000, "ms",
                            base * 1000, "SELECT count(*) FROM events"))  # fmt: skip
        quarter = address + "/export/events.csv?to=" + _quarter_day(args)
        small_peak, small_size = export_peak(session, quarter)
        full_peak, full_size = export_peak(session, export)
        flat = full_peak <= 1.5 * small_peak
        ok &= flat
        print(f"  {'export peak memory, a quarter of the events':<44} {small_peak / 1e6:9.1f} MB"
              f"   ({small_size / 1e6:.1f} MB sent)")  # fmt: skip
        print(f"  {'export peak memory, all the events':<44} {full_peak / 1e6:9.1f} MB"
              f"   ({full_size / 1e6:.1f} MB sent)   ratio {full_peak / small_peak:.2f}"
              f"   target: flat (<= 1.5x) {'met' if flat else 'NOT met'}")  # fmt: skip
        found.append(Figure("bench_web", f"export peak memory, all the events, {name}",
                            full_peak / 1e6, "MB", small_peak / 1e6, "a quarter of them",
                            "flat: <= 1.5x floor", flat))  # fmt: skip
        write(args.figures, found)
        session.close()
    finally:
        server.should_exit = True
        thread.join(30)
        engine.dispose()
    return ok


def _quarter_day(args: argparse.Namespace) -> str:
    quarter = TERM_START + (NOW - TERM_START) / 4
    return (quarter + timedelta(hours=8)).date().isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=2_000)
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--figures", type=Path, help="also write the figures here (JSON lines)")
    args = parser.parse_args()
    wanted = args.databases.split(",")
    print(f"bench_web: the librarian's pages, {date.today().isoformat()}")
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        if "sqlite" in wanted:
            met &= run("SQLite", f"sqlite:///{Path(folder) / 'server.db'}", args)
        if "postgresql" in wanted:
            from tests.sync.postgres import Cluster

            cluster = Cluster(durable=True).start()
            try:
                met &= run("PostgreSQL", cluster.create_database("bench"), args)
            finally:
                cluster.stop()
    print(f"\ntarget: every page under 1 s and the export's memory flat: "
          f"{'met' if met else 'NOT met on this machine'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
