"""One figure of a benchmark beside its floor, and the one table `bench/run_all.py` prints.

Each benchmark measures its floor in the same run (the bare operation its figure cannot beat on
this machine) and, given ``--figures FILE``, writes its figures there as JSON lines, so that the
runner can put every benchmark's figures in one table. A ratio says how many times the floor's
cost the figure is: time over time, or for a rate (``/s``) the floor's rate over the figure's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    benchmark: str  # bench_scan, bench_sync ...
    what: str  # what was measured, e.g. "scan -> committed decision, p99"
    value: float
    unit: str  # ms, us, s, MB, events/s
    floor: float | None = None  # in the same unit, measured in the same run
    floor_what: str = ""  # what the floor is, e.g. "bare 1-row commit"
    target: str = ""  # e.g. "< 10 ms and <= 3x floor"
    met: bool | None = None  # None: no target

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0 or self.value == 0:
            return None
        if self.unit.endswith("/s"):
            return self.floor / self.value
        return self.value / self.floor


def write(path: Path | None, figures: list[Figure]) -> None:
    """Append ``figures`` to ``path`` (``--figures``), one JSON object a line."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as out:
        for figure in figures:
            out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")


def read(path: Path) -> list[Figure]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Figure(**json.loads(line)) for line in lines if line.strip()]


def shown(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (what the README shows)."""
    lines = [
        "| benchmark | figure | measured | floor (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        ratio = f"{f.ratio:.1f}x" if f.ratio is not None else ""
        floor = f"{shown(f.floor, f.unit)} ({f.floor_what})" if f.floor is not None else ""
        met = "" if f.met is None else ("met" if f.met else "NOT met")
        lines.append(
            f"| {f.benchmark} | {f.what} | {shown(f.value, f.unit)} | {floor} | {ratio} "
            f"| {f.target} | {met} |"
        )
    return "\n".join(lines)
