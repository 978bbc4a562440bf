"""`python -m tools.fuzz`: the command line, and the summary it prints."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tools.fuzz import tally as kinds
from tools.fuzz.request_fuzzer import RequestFuzzer
from tools.fuzz.scans import ScanFuzzer
from tools.fuzz.tally import Tally

FULL_SCANS, FULL_REQUESTS = 100_000, 10_000
SHORT_SCANS, SHORT_REQUESTS = 2_000, 400


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.fuzz",
        description="Hostile scans through the scanners and the door, hostile requests at every "
        "route of a live kiosk-server; prints what broke, with reproductions.",
        epilog="example:\n  .venv/bin/python -m tools.fuzz --seed 7 --db postgresql\n"
        "  .venv/bin/python -m tools.fuzz --short",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=1, help="the same seed makes the same run")
    p.add_argument("--scans", type=int, help=f"hostile scans (default {FULL_SCANS:,})")
    p.add_argument("--requests", type=int, help=f"hostile requests (default {FULL_REQUESTS:,})")
    p.add_argument(
        "--short",
        action="store_true",
        help=f"the CI run: {SHORT_SCANS:,} scans, {SHORT_REQUESTS:,} requests, a small burst",
    )
    p.add_argument(
        "--db",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help="the server's database; postgresql starts a throwaway cluster (tests/sync)",
    )
    p.add_argument(
        "--burst",
        type=int,
        help="parallel wrong sign-ins fired at once (default 64; 8 with --short; 0: none)",
    )
    p.add_argument(
        "--minimise",
        type=float,
        help="seconds spent shrinking reproductions per part (default 300; 60 with --short)",
    )
    p.add_argument(
        "--dir", type=Path, help="where the kiosk files and databases go (a tmpfs is fastest)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    scans = args.scans if args.scans is not None else SHORT_SCANS if args.short else FULL_SCANS
    requests = (
        args.requests
        if args.requests is not None
        else SHORT_REQUESTS
        if args.short
        else FULL_REQUESTS
    )
    burst = args.burst if args.burst is not None else 8 if args.short else 64
    minimise = args.minimise if args.minimise is not None else 60.0 if args.short else 300.0
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    tally = Tally()
    started = time.monotonic()
    print(f"fuzz · seed {args.seed} · {scans:,} hostile scans · {requests:,} hostile requests "
          f"per database ({', '.join(databases)})", flush=True)  # fmt: skip
    if scans:
        ScanFuzzer(args.seed, tally, args.dir, minimise_seconds=minimise).run(scans)
        print(f"scans done in {time.monotonic() - started:.0f} s", flush=True)
    for database in databases if requests else ():
        cluster = None
        if database == "postgresql":
            from tests.sync.postgres import Cluster

            cluster = Cluster().start()
        try:
            with tempfile.TemporaryDirectory(prefix="fuzz-server-", dir=args.dir) as folder:
                fuzzer = RequestFuzzer(
                    args.seed, tally, database, Path(folder), cluster=cluster, storm=burst,
                    minimise_seconds=minimise,
                )  # fmt: skip
                fuzzer.run(requests)
        finally:
            if cluster is not None:
                cluster.stop()
        print(f"requests on {database} done at {time.monotonic() - started:.0f} s", flush=True)
    report(tally, scans, requests, databases, time.monotonic() - started)
    reached = tally.total("scans", "hostile scans") >= scans and all(
        tally.total(f"requests ({d})", "requests") >= requests for d in databases
    )
    return 0 if tally.passed and reached else 1


def report(
    tally: Tally, scans: int, requests: int, databases: tuple[str, ...], seconds: float
) -> None:
    out = sys.stdout
    print("\n== Scans: the scanners' decoders and the door ==", file=out)
    for what, n in tally.part("scans").items():
        print(f"  {what:<44} {n:>10,}", file=out)
    for what, n in tally.part("scanners").items():
        print(f"  {what:<44} {n:>10,}", file=out)
    for database in databases if requests else ():
        part = f"requests ({database})"
        print(f"\n== Requests: kiosk-server on {database} ==", file=out)
        for what, n in tally.part(part).items():
            print(f"  {what:<44} {n:>10,}", file=out)
        _routes(tally, f"{part} by route")
    print("\n== Failures (each distinct one once; the count is how often it was seen) ==")
    if not tally.failures:
        print("  none")
    for n, failure in enumerate(tally.failures.values(), 1):
        places = ", ".join(failure.places[:12]) + (" …" if len(failure.places) > 12 else "")
        print(f"\n[{n}] {failure.kind} · {places} · seen {failure.seen}×")
        print(f"    {failure.summary}")
        for line in failure.reproduction.splitlines():
            print(f"    | {line}")
    print("\n== Summary ==")
    sent = sum(tally.total(f"requests ({d})", "requests") for d in databases)
    rows = [
        ("hostile scans", tally.total("scans", "hostile scans"), f"≥ {scans:,}"),
        ("hostile requests", sent, f"≥ {requests * len(databases):,}"),
        ("crashes (exceptions escaping)", tally.kinds[kinds.CRASH], "0"),
        ("hangs", tally.kinds[kinds.HANG], "0"),
        ("unintended changes", tally.kinds[kinds.CHANGE], "0"),
        ("server errors (5xx)", tally.kinds[kinds.SERVER_ERROR], "0"),
        ("server process deaths", tally.kinds[kinds.SERVER_DIED], "0"),
        ("broken invariants", tally.kinds[kinds.INVARIANT], "0"),
        ("pages answered to the wrong person", tally.kinds[kinds.ACCESS], "0"),
    ]
    print(f"  {'':<36} {'count':>10}  required")
    for name, n, required in rows:
        print(f"  {name:<36} {n:>10,}  {required}")
    verdict = "PASS" if tally.passed else f"FAIL: {len(tally.failures)} distinct failures"
    print(f"\n{verdict} ({seconds:.0f} s)")


def _routes(tally: Tally, part: str) -> None:
    by_route: dict[str, dict[str, int]] = {}
    for key, n in tally.part(part).items():
        route, _, bucket = key.partition(" | ")
        by_route.setdefault(route, {})[bucket] = n
    columns = ("2xx", "3xx", "4xx", "5xx")
    print(f"\n  {'route':<34} {'sent':>6} " + " ".join(f"{c:>5}" for c in columns) + "  other")
    totals: dict[str, int] = {}
    for route in sorted(by_route, key=lambda r: (r.split()[1], r)):
        counts = by_route[route]
        other = sum(n for b, n in counts.items() if b not in columns)
        for b, n in counts.items():
            totals[b] = totals.get(b, 0) + n
        print(
            f"  {route:<34} {sum(counts.values()):>6} "
            + " ".join(f"{counts.get(c, 0):>5}" for c in columns)
            + f"  {other or ''}"
        )
    other = sum(n for b, n in totals.items() if b not in columns)
    print(
        f"  {'total':<34} {sum(totals.values()):>6} "
        + " ".join(f"{totals.get(c, 0):>5}" for c in columns)
        + f"  {other or ''}"
    )
