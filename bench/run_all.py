"""Every benchmark, one after the other, and one table of their figures.

    .venv/bin/python bench/run_all.py            # the full sizes: the README's figures
    .venv/bin/python bench/run_all.py --quick    # small sizes, to check they run (CI)
    .venv/bin/python bench/run_all.py --only scan,sync --markdown table.md

Each benchmark runs as its own process, exactly as when run alone (`bench/bench_*.py`; each
docstring says what it measures), and writes its figures beside the floor it measured in the
same run; this prints them as one table: the figure, its floor, the ratio, the target and
whether it was met, under a line naming the machine (cores, CPU model, load average before and
after). A benchmark that cannot run here (no Xvfb for bench_ui) is named, not hidden. Whether a
target is met depends on the machine and its load: the exit status says only whether every
benchmark ran.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from figures import Figure, read, table

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    full: tuple[str, ...]  # the sizes the README's figures come from (the script's defaults)
    quick: tuple[str, ...]  # small sizes, seconds each
    needs: str | None = None  # a program it cannot run without


BENCHMARKS = (
    Benchmark("scan", (), ("--readers", "200", "--copies", "2000", "--events", "2000",
                           "--scans", "200")),
    Benchmark("readers", (), ("--codes", "500",)),
    Benchmark("sync", (), ("--events", "1000", "--backlog", "500", "--readers", "100",
                           "--copies", "1000", "--kiosks", "10", "--per-push", "10")),
    Benchmark("ui", ("--voice",), ("--readers", "60", "--copies", "400", "--events", "200",
                                   "--scans", "12", "--sessions", "10", "--voice"),
              needs="xvfb-run"),
    Benchmark("web", (), ("--events", "3000", "--readers", "100", "--copies", "500",
                          "--repeat", "1")),
)  # fmt: skip


def machine() -> str:
    """The machine, as the README names it: cores, CPU model, system, Python."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def run(benchmark: Benchmark, quick: bool, folder: Path, verbose: bool) -> tuple[str, float]:
    """Run one benchmark; what went wrong ('' if nothing) and the seconds it took."""
    if benchmark.needs and shutil.which(benchmark.needs) is None:
        return f"not run: needs {benchmark.needs}", 0.0
    script = BENCH / f"bench_{benchmark.name}.py"
    options = benchmark.quick if quick else benchmark.full
    figures = folder / f"{benchmark.name}.jsonl"
    command = [sys.executable, str(script), *options, "--figures", str(figures)]
    print(f"bench_{benchmark.name}: {' '.join(options) or '(full sizes)'} ...", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if verbose or done.returncode != 0:
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        return f"failed (exit {done.returncode})", seconds
    if not read(figures):
        return "printed no figures", seconds
    return "", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: checks, not figures")
    parser.add_argument(
        "--only",
        help="a comma-separated list of: " + ", ".join(b.name for b in BENCHMARKS),
    )
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--verbose", action="store_true", help="show each benchmark's output")
    args = parser.parse_args(argv)
    wanted = BENCHMARKS
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - {b.name for b in BENCHMARKS})
        if unknown:
            parser.error(f"--only: no benchmark called {', '.join(unknown)}")
        wanted = tuple(b for b in BENCHMARKS if b.name in names)
    began = datetime.now(UTC)
    load_before = load()
    problems: list[str] = []
    figures: list[Figure] = []
    took: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        for benchmark in wanted:
            problem, seconds = run(benchmark, args.quick, Path(name), args.verbose)
            if problem:
                problems.append(f"bench_{benchmark.name}: {problem}")
            figures += read(Path(name) / f"{benchmark.name}.jsonl")
            took.append(f"bench_{benchmark.name} {seconds:.0f} s")
    form = "quick form (small sizes: these figures say little)" if args.quick else "full sizes"
    heading = (
        f"Machine: {machine()}; load average {load_before} before, {load()} after "
        f"(1, 5, 15 min); {began:%Y-%m-%d %H:%M} UTC, {form}; {', '.join(took)}."
    )
    text = f"{heading}\n\n{table(figures)}\n"
    if problems:
        text += "\n" + "\n".join(problems) + "\n"
    print()
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    failed = [p for p in problems if "not run" not in p]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
