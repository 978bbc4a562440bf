"""`python -m tools.chaos [--short] [--db sqlite|postgresql] [--seed N] [--keep DIR]`.

Exit status: 0 when every check passes, 1 when any finds a difference, 2 a usage error.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tools.chaos import faults, finale, report
from tools.chaos.run import Options, Simulation
from tools.chaos.school import SetupError
from tools.chaos.timeline import ZONE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.chaos",
        description="A simulated school week under fire: kills, network faults, clock steps, "
        "restores; then every decision shown at a door is checked on the server and kiosks.",
        epilog="example:\n  .venv/bin/python -m tools.chaos --short --seed 7\n"
        "  .venv/bin/python -m tools.chaos --db postgresql --seed 7",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="two days and fewer visits, every kind of fault once (CI)",
    )
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql"), default="sqlite", help="the server's database"
    )
    parser.add_argument("--seed", type=int, help="the run's seed (default: a new one, printed)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="run in DIR (new) and keep it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    options = Options(
        seed=seed,
        database=args.db,
        days=2 if args.short else 5,
        visits_per_day=24 if args.short else 70,
        mix=faults.SHORT if args.short else faults.FULL,
        today=datetime.now(ZONE).date(),
    )
    if args.keep is not None:
        if args.keep.exists():
            print(f"chaos: --keep {args.keep}: already exists; give a new folder", file=sys.stderr)
            return 2
        args.keep.mkdir(parents=True)
        folder = args.keep
    else:
        folder = Path(tempfile.mkdtemp(prefix="kiosk-chaos-"))
    kind = "short run" if args.short else "school week"
    print(f"chaos: {kind}, seed {seed}, server on {args.db}, in {folder}", flush=True)
    started = time.monotonic()
    sim = Simulation(options, folder)
    school = None
    try:
        school = sim.run()
        results = finale.check_all(sim, school)
    except SetupError as exc:
        print(f"chaos: the school could not be set up, nothing was simulated: {exc}")
        return 1
    finally:
        if school is None and sim.school is not None:
            school = sim.school
        if school is not None:
            school.close()
    elapsed = time.monotonic() - started
    lines = [*report.counts(sim.counts, sim.ledger, elapsed), "", *report.table(results), ""]
    failed = [c for c in results if c.gating and not c.ok]
    rerun = f"python -m tools.chaos{' --short' if args.short else ''} --db {args.db} --seed {seed}"
    if failed:
        lines.append(f"chaos: {len(failed)} check(s) found differences; again: {rerun}")
    else:
        lines.append(f"chaos: every check passed ({rerun})")
    print("\n".join(lines))
    (folder / "report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if failed:
        print(f"chaos: the run's files are in {folder}")
        return 1
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
