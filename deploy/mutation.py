"""The mutation pass in two rounds, and its figures per package (run through deploy/mutation.sh).

mutmut (configured in [tool.mutmut] of pyproject.toml) changes one small thing at a time in
kiosk/core, kiosk/store and kiosk/door.py and runs the tests that reach the changed function.
Almost every mutant reaches the damaged-pages and durability tests through the `kiosk`
command, and they take seconds each, so:

1. the first round runs every mutant without them (``first_round_ignores`` in
   [tool.kiosk-mutation]);
2. the second round runs again, with them, only the mutants that survived the first round or
   that no test of it reached.

A mutant killed in the first round would be killed with more tests too, so the verdicts are
those of a single run with every test. Each round works on its own copy of the checkout under
var/mutation/ (mutmut keeps one configuration and one set of results per folder).

mutmut forgets every result of a folder when its test selection changes: editing
``pytest_add_cli_args_test_selection`` or ``first_round_ignores`` means running it all again.
New tests do not: after committing them, ``--survivors`` tests the survivors again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "mutation"
FIRST, SECOND = "first", "second"
PACKAGES = (("core", "kiosk/core/"), ("store", "kiosk/store/"), ("door", "kiosk/door.py"))
NOT_NOTICED = ("survived", "no tests")
_GLOB = "*"  # mutant names hold "[" and "?" only in globs the user writes with "*"
COLUMNS = ("killed", "survived", "no tests", "timeout", "suspicious", "segfault", "not checked")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="forget earlier results first")
    parser.add_argument("--report", action="store_true", help="only print the figures")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--rev", default="HEAD", help="the commit whose code and tests are tested (default HEAD)"
    )
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="test again the mutants the last pass did not kill (those matching NAMES, if given)",
    )
    parser.add_argument(
        "--second", action="store_true", help="only the second round, on the first one's results"
    )
    parser.add_argument("names", nargs="*", help="test again only these mutants (globs)")
    args = parser.parse_args()
    if not args.report:
        if args.fresh:
            shutil.rmtree(WORK, ignore_errors=True)
        names = list(args.names)
        if args.survivors:  # those of them the names given match, if any
            names = [k for k in _unnoticed(_final()) if not names or _matches(k, names)]
            if not names:
                print("no survivors to test again")
                return _report()
        slow, second_round = _settings()
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        first_round = _selection(text, tests=["tests"], more=[_option(t) for t in slow])
        if not args.second:
            _run(FIRST, args.rev, args.jobs, names, first_round)
        again = [k for k in _unnoticed(_verdicts(FIRST)) if _matches(k, second_round)]
        if names:
            again = [key for key in again if key in _matching(FIRST, names)]
        if again:
            # Only the slow tests: every other test that reaches these mutants already passed.
            _run(SECOND, args.rev, args.jobs, again, _selection(text, tests=slow, more=[]))
    return _report()


def _settings() -> tuple[list[str], list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ours = config["tool"]["kiosk-mutation"]
    return list(ours["first_round_ignores"]), list(ours["second_round_mutants"])


def _matches(key: str, patterns: list[str]) -> bool:
    return any(key == p or (_GLOB in p and fnmatch(key, p)) for p in patterns)


def _unnoticed(verdicts: dict[str, str]) -> list[str]:
    return sorted(key for key, status in verdicts.items() if status in NOT_NOTICED)


def _option(test: str) -> list[str]:
    return ["--deselect", test] if "::" in test else ["--ignore", test]


def _run(round_: str, rev: str, jobs: int, names: list[str], pyproject: str) -> None:
    folder = _staged(round_, rev, pyproject)
    # Processes the tests start (the `kiosk` command, the migration children) import the mutated
    # copy too, and mutmut's MUTANT_UNDER_TEST reaches them. The folder must exist before Python
    # starts: a sys.path entry missing at the first import stays dead for the whole process.
    (folder / "mutants").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(folder / "mutants")}
    print(f"==> mutation round {round_!r}: {len(names) or 'all'} mutant(s), {jobs} at once")
    mutmut = Path(sys.executable).parent / "mutmut"
    # mutmut exits 0 whatever survived: the figures are the result.
    subprocess.run([mutmut, "run", "--max-children", str(jobs), *names], cwd=folder, env=env,
                   check=True)  # fmt: skip


def _staged(round_: str, rev: str, pyproject: str) -> Path:
    """The code and tests of commit ``rev`` in var/mutation/ROUND, for mutmut to use.

    A commit, not the work tree: what was tested can be named. Files are written only when they
    changed, so that mutmut regenerates the mutants of a changed source file and keeps its
    results for the others. The configuration ([tool.mutmut]) is the work tree's.
    """
    folder = WORK / round_
    for name, content in _files_at(rev).items():
        target = folder / name
        if not target.exists() or target.read_bytes() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    (folder / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return folder


def _files_at(rev: str) -> dict[str, bytes]:
    def git(*argv: str, given: bytes | None = None) -> bytes:
        return subprocess.run(
            ["git", *argv], cwd=ROOT, input=given, capture_output=True, check=True
        ).stdout

    entries = [line.split(b"\t", 1) for line in git("ls-tree", "-r", rev).splitlines()]
    blobs = {name.decode(): meta.split()[2] for meta, name in entries if meta.split()[1] == b"blob"}
    # One `git cat-file --batch` for all of them: "<sha> blob <size>\n<content>\n" each.
    out = git("cat-file", "--batch", given=b"".join(sha + b"\n" for sha in blobs.values()))
    files, at = {}, 0
    for name in blobs:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        files[name] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return files


def _selection(pyproject: str, *, tests: list[str], more: list[list[str]]) -> str:
    """pyproject.toml with [tool.mutmut]'s test selection starting from ``tests``, not "tests",
    and leaving out ``more`` as well."""
    marker = 'pytest_add_cli_args_test_selection = [\n    "tests",\n'
    assert marker in pyproject, '[tool.mutmut]\'s test selection must start with "tests"'
    lines = [f"    {json.dumps(t)},\n" for t in tests]
    lines += [f"    {json.dumps(flag)}, {json.dumps(value)},\n" for flag, value in more]
    return pyproject.replace(marker, marker.split("\n")[0] + "\n" + "".join(lines), 1)


def _verdicts(round_: str) -> dict[str, str]:
    verdicts = {}
    for meta in sorted((WORK / round_ / "mutants").glob("kiosk/**/*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for key, exit_code in data["exit_code_by_key"].items():
            verdicts[key] = status_by_exit_code[exit_code]
    return verdicts


def _matching(round_: str, patterns: list[str]) -> set[str]:
    exact = {p for p in patterns if _GLOB not in p}
    globs = [p for p in patterns if _GLOB in p]
    return {k for k in _verdicts(round_) if k in exact or any(fnmatch(k, p) for p in globs)}


def _final() -> dict[str, str]:
    """Each mutant's verdict: the first round's, or the second's for those it was run for."""
    second_round = _settings()[1]
    second = _verdicts(SECOND)
    final = _verdicts(FIRST)
    for key, status in final.items():
        if status in NOT_NOTICED and _matches(key, second_round):
            again = second.get(key, "not checked")
            # The slow tests not reaching it leaves it as the first round found it.
            final[key] = status if again == "no tests" else again
    return final


def _report() -> int:
    final = _final()
    if not final:
        print("no results yet under var/mutation/: run deploy/mutation.sh first", file=sys.stderr)
        return 1
    counts: dict[str, Counter[str]] = {name: Counter() for name, _ in PACKAGES}
    for key, status in final.items():
        counts[_package(key)][status] += 1
    print(f"{'package':<8}{'generated':>10}" + "".join(f"{c:>12}" for c in COLUMNS) + "  survival")
    total: Counter[str] = Counter()
    for name, counter in counts.items():
        total.update(counter)
        print(_row(name, counter))
    print(_row("all", total))
    print("\nsurvival = (survived + no tests) / generated")
    for key in _unnoticed(final):
        print(f"{final[key]:>9}  {key}")
    return 0


def _package(key: str) -> str:
    module = key.rpartition(".x")[0]  # kiosk.core.session.x__scan__mutmut_3: kiosk.core.session
    path = module.replace(".", "/") + ".py"
    return next(name for name, prefix in PACKAGES if path.startswith(prefix))


def _row(name: str, counter: Counter[str]) -> str:
    generated = sum(counter.values())
    rate = sum(counter[s] for s in NOT_NOTICED) / generated if generated else 0.0
    cells = "".join(f"{counter[c]:>12}" for c in COLUMNS)
    return f"{name:<8}{generated:>10}{cells}  {rate:8.1%}"


if __name__ == "__main__":
    sys.exit(main())
