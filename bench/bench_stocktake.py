"""How long the librarian waits for a stocktake's report (清点报告) over a large library: the
report page and its Excel workbook over real HTTP from the real server, with 20,000 copies and
20,000 codes counted (5% of them codes the catalogue does not know, 1,000 copies on loan), on
SQLite. Target: the page under 1 s; medians of several runs.

    .venv/bin/python bench/bench_stocktake.py
    .venv/bin/python bench/bench_stocktake.py --copies 5000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' live server helper

from bench_web import NOW, sign_in, stored  # noqa: E402
from sqlalchemy import text  # noqa: E402

from sync.server import stocktake as st  # noqa: E402
from sync.server.app import create_app  # noqa: E402
from sync.server.db import engine_for, migrate  # noqa: E402
from sync.server.ratelimit import RateLimit  # noqa: E402
from sync.server.web import staff  # noqa: E402
from tests.sync.conftest import serve_in_thread  # noqa: E402

CLASSES = "ABCDEFGHIJKNOPQRSTUVXZ"  # the 中图法 classes


def build(url: str, copies: int) -> None:
    engine = engine_for(url)
    migrate(engine)
    with engine.begin() as conn:
        staff.add(conn, "bench", staff.Role.LIBRARIAN, "bench password", NOW)
        conn.execute(
            text(
                "INSERT INTO copies (barcode, isbn, title, author, category, loan_type, price,"
                " isbn_only, active, deleted, revision, added_at, updated_at) VALUES"
                " (:b, NULL, :t, '佚名', :c, 'loan', '12.50', FALSE, TRUE, FALSE, 1, :u, :u)"
            ),
            [{"b": f"L{n:06d}", "t": f"书名{n}", "c": f"{CLASSES[n % len(CLASSES)]}{n % 900}",
              "u": stored(NOW)} for n in range(copies)],
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO loans (barcode, on_loan, card, due, last_event, revision)"
                " VALUES (:b, TRUE, 'T0001', '2026-12-30', 'bench', 1)"
            ),
            [{"b": f"L{n:06d}"} for n in range(0, copies, 20)],
        )
        taking = st.start(conn, None, "bench", NOW)
        scans = [f"L{n:06d}" for n in range(copies) if n % 10 != 3]  # 10% missing
        scans += [f"X{n:06d}" for n in range(copies - len(scans))]  # unknown codes
        conn.execute(
            text(
                "INSERT INTO stocktake_scans (stocktake, code, known, at, by)"
                " VALUES (:s, :c, :k, :u, 'bench')"
            ),
            [{"s": taking.id, "c": c, "k": c.startswith("L"), "u": stored(NOW)} for c in scans],
        )
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'server.db'}"
        build(url, args.copies)
        engine = engine_for(url)
        app = create_app(engine, rate_limit=RateLimit(limit=100_000), clock=lambda: NOW)
        address, server, thread = serve_in_thread(app)
        try:
            session = sign_in(address)
            ok = True
            pages = (
                ("report page", "/stocktake/1", 1.0),
                ("Excel workbook", "/stocktake/1/report.xlsx", None),
            )
            for what, path, target in pages:
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    answer = session.get(address + path, timeout=600)
                    times.append(time.perf_counter() - started)
                    assert answer.status_code == 200, answer.text[:300]
                median = statistics.median(times)
                verdict = "" if target is None else (" ok" if median < target else " TOO SLOW")
                ok = ok and (target is None or median < target)
                print(f"stocktake {what}, {args.copies:,} copies and codes: "
                      f"{median * 1000:.0f} ms (median of {args.runs}){verdict}")  # fmt: skip
        finally:
            server.should_exit = True
            thread.join(10)
            engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
