"""What the run prints: the counts of what it did, and the table of checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tools.chaos.checks import Check
from tools.chaos.ledger import Ledger
from tools.chaos.run import Counts

SHOWN_PROBLEMS = 12  # lines printed under a failing check; the rest are counted


def _total(counter: Counter[str]) -> str:
    parts = ", ".join(f"{name} {n}" for name, n in sorted(counter.items()))
    return f"{sum(counter.values())} ({parts})" if counter else "0"


def counts(counts: Counts, ledger: Ledger, seconds: float) -> list[str]:
    scans = ledger.scans
    return [
        f"kills            {_total(counts.kills)}",
        f"network faults   {_total(counts.network)}",
        f"clock steps      {_total(counts.clock_steps)}",
        f"restores         {_total(counts.restores)}",
        f"visits           {len(scans)} (kinds: {_total(Counter(s.kind for s in scans))})",
        f"scans            {sum(len(s.codes) for s in scans)} codes in {len(scans)} "
        f"`kiosk scan` runs, {sum(len(s.shown) for s in scans)} decisions shown",
        f"events           {len(ledger.events)} journaled at the doors",
        f"elapsed          {seconds:.0f} s",
        *(f"note             {n}" for n in counts.notes),
    ]


def table(results: Sequence[Check]) -> list[str]:
    width = max(len(c.name) for c in results)
    lines = [f"{'check':<{width}}  {'checked':>7}  {'found':>5}  result", "-" * (width + 28)]
    for c in results:
        result = "ok" if c.ok else ("FAIL" if c.gating else "info")
        lines.append(f"{c.name:<{width}}  {c.checked:>7}  {c.found:>5}  {result}")
        for problem in c.problems[:SHOWN_PROBLEMS]:
            lines.append(f"    {problem}")
        if len(c.problems) > SHOWN_PROBLEMS:
            lines.append(f"    ... and {len(c.problems) - SHOWN_PROBLEMS} more")
    return lines
