"""bench/bench_web.py still runs and prints each figure beside its floor (tiny sizes: this is not
a timed test; the figures come from full runs, see the README)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_the_pages_benchmark_runs_on_both_databases_and_prints_its_floor() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_web.py"), "--events", "3000",
         "--readers", "300", "--copies", "500", "--repeat", "1"],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for database in ("SQLite: 3,000 events", "PostgreSQL: 3,000 events"):
        assert database in out
    assert out.count("floor: SELECT count(*) FROM events") == 2
    for figure in ("overdue page (/overdue)", "weekly page (/weekly)",
                   "events CSV export (/export/events.csv)", "export peak memory"):  # fmt: skip
        assert out.count(figure) >= 2, figure
    assert "target:" in out  # met or not depends on the machine: printed, never asserted here
