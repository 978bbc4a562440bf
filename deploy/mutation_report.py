"""The figures of the last mutation pass (deploy/mutation.sh), per package, and its survivors.

Reads what mutmut recorded under mutants/ (one ``.meta`` file per mutated module). A mutant
"survived" when the tests that cover its function all passed; "no tests" when no test of the
run reaches its function at all. Both are changes nobody would notice, so the survival rate
counts both, out of every mutant that was generated.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
PACKAGES = (("core", "kiosk/core/"), ("store", "kiosk/store/"), ("door", "kiosk/door.py"))
NOT_NOTICED = ("survived", "no tests")
COLUMNS = ("killed", "survived", "no tests", "timeout", "suspicious", "segfault", "not checked")


def package_of(source: str) -> str:
    return next((name for name, prefix in PACKAGES if source.startswith(prefix)), "other")


def main() -> int:
    metas = sorted(MUTANTS.glob("kiosk/**/*.py.meta"))
    if not metas:
        print("no results yet under mutants/: run deploy/mutation.sh first", file=sys.stderr)
        return 1
    counts: dict[str, Counter[str]] = {name: Counter() for name, _ in PACKAGES}
    unnoticed: list[tuple[str, str]] = []
    for meta in metas:
        source = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        data = json.loads(meta.read_text(encoding="utf-8"))
        for key, exit_code in data["exit_code_by_key"].items():
            status = status_by_exit_code[exit_code]
            counts.setdefault(package_of(source), Counter())[status] += 1
            if status in NOT_NOTICED:
                unnoticed.append((status, key))

    print(f"{'package':<8}{'generated':>10}" + "".join(f"{c:>12}" for c in COLUMNS) + "  survival")
    total: Counter[str] = Counter()
    for name, counter in counts.items():
        total.update(counter)
        print(_row(name, counter))
    print(_row("all", total))
    print("\nsurvival = (survived + no tests) / generated")
    for status, key in sorted(unnoticed):
        print(f"{status:>9}  {key}")
    return 0


def _row(name: str, counter: Counter[str]) -> str:
    generated = sum(counter.values())
    rate = sum(counter[s] for s in NOT_NOTICED) / generated if generated else 0.0
    cells = "".join(f"{counter[c]:>12}" for c in COLUMNS)
    return f"{name:<8}{generated:>10}{cells}  {rate:8.1%}"


if __name__ == "__main__":
    sys.exit(main())
