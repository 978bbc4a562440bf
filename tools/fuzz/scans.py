"""The scan half of the fuzzer: hostile scans, directly and through the scanners' decoders, at the
real door between the visits of a school day, in and out of sessions.

The run is cut into rounds, each on a fresh kiosk file starting at a borrowing window: a
round's failures replay from its first input, and the journal stays small enough to check in
full at the end of each round (what `kiosk doctor` checks).
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kiosk.imports import read_policy
from tools.fuzz import tally as kinds
from tools.fuzz.door import Action, DoorUnderTest, Problem, borrowing_moments
from tools.fuzz.scanners import ScannerKinds
from tools.fuzz.tally import Tally
from tools.fuzz.texts import SAMPLE, SchoolCodes, hostile

ROUND = 2_000  # hostile scans per kiosk file
MINIMISE_SECONDS = 60.0  # spent shrinking each new failure, at most
SOURCES = ("direct", "direct", "wedge", "wedge", "serial", "rdm6300")


class ScanFuzzer:
    def __init__(
        self,
        seed: int,
        tally: Tally,
        folder: Path | None = None,
        *,
        minimise_seconds: float = 300.0,
    ) -> None:
        self.seed = seed
        self.minimise_budget = minimise_seconds
        self.tally = tally
        self.folder = folder
        self.codes = SchoolCodes.sample()
        self.moments = borrowing_moments(read_policy(SAMPLE / "policy.toml"))

    def run(self, hostile_scans: int) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-scans-", dir=self.folder) as tmp:
            folder = Path(tmp)
            done, round_no = 0, 0
            while done < hostile_scans:
                size = min(ROUND, hostile_scans - done)
                self._round(folder, round_no, size)
                done += size
                round_no += 1

    # --- one round ---------------------------------------------------------------------------

    def _round(self, folder: Path, round_no: int, size: int) -> None:
        rng = random.Random(f"{self.seed}/scans/{round_no}")
        start = rng.choice(self.moments[: len(self.moments) * 3 // 4])
        path = folder / f"round-{round_no}.db"
        door = DoorUnderTest(path, start)
        scanners = ScannerKinds(rng, self.tally)
        history: list[Action] = []
        try:
            for action in self._actions(rng, scanners, size):
                history.append(action)
                problems = door.do(action)
                self.tally.count("scans", "door inputs")
                for problem in problems:
                    self._record(problem, action, history, start)
                if len(history) % 500 == 0:
                    for problem in door.full_check():
                        self._record(problem, action, history, start)
            for problem in door.full_check():
                self._record(problem, history[-1], history, start)
        finally:
            door.close()
            for leftover in folder.glob(f"round-{round_no}.db*"):
                leftover.unlink()

    def _actions(self, rng: random.Random, scanners: ScannerKinds, size: int) -> Iterator[Action]:
        """School visits with ``size`` hostile scans among them."""
        sent = 0
        while sent < size:
            roll = rng.random()
            if roll < 0.35:
                yield from self._school(rng)
                continue
            if roll < 0.5:  # hostile scans inside a visit, after a card
                yield Action("scan", rng.choice(self.codes.cards), wait=rng.choice([1, 4]))
            category, text = hostile(rng, self.codes)
            source = rng.choice(SOURCES)
            disturb = rng.random() < 0.6
            self.tally.count("scans", "hostile scans")
            self.tally.count("scans", f"hostile: {category}")
            self.tally.count("scans", f"hostile via {source}")
            sent += 1
            wait = rng.choice([0.2, 1.0, 2.9, 3.1, 5.0])
            if source == "direct":
                role = rng.choice(["any", "any", "any", "card", "book"])
                yield Action("scan", text, role, wait, f"direct/{category}")
                continue
            if source == "wedge":
                reads = scanners.feed_wedge(text, disturb=disturb, tab=rng.random() < 0.2)
            elif source == "serial":
                reads = scanners.feed_serial(text, disturb=disturb)
            else:
                reads = scanners.feed_rdm6300(self.codes.cards, disturb=disturb)
            for read in reads:
                yield Action("scan", read.text, read.role, wait, f"{read.source}/{category}")
                wait = 0.5

    def _school(self, rng: random.Random) -> Iterator[Action]:
        """Ordinary things at the door: a visit, a return, a button, the clock moving on."""
        roll = rng.random()
        codes = self.codes
        if roll < 0.4:
            yield Action("scan", rng.choice(codes.pupils + codes.teachers), wait=rng.choice([2, 8]))
            for _ in range(rng.randint(0, 3)):
                yield Action("scan", rng.choice(codes.labels), wait=4)
            if rng.random() < 0.7:
                yield Action("done", wait=3)
        elif roll < 0.6:
            yield Action("scan", rng.choice(codes.labels), wait=rng.choice([5, 30]))
            if rng.random() < 0.2:
                yield Action("damaged", wait=rng.choice([3, 200]))
        elif roll < 0.7:
            yield Action("touch", wait=rng.choice([1, 10]))
        elif roll < 0.8:
            yield Action("tick", wait=rng.choice([5, 21, 25]))
        elif roll < 0.97:
            yield Action(rng.choice(["done", "damaged"]), wait=rng.choice([1, 3]))
        else:
            # On to another borrowing window (or, past the term's last, a day or two on).
            yield Action("tick", wait=rng.choice([3_600, 86_400, 3 * 86_400]))

    # --- failures ----------------------------------------------------------------------------

    def _record(
        self, problem: Problem, action: Action, history: list[Action], start: datetime
    ) -> None:
        where = "door"
        steps = _script(start, history[-3:], elided=len(history) - 3)
        reproduction = f"{steps}\n→ {problem.summary}\n{problem.detail}".rstrip()
        first = self.tally.fail(
            problem.kind, where, problem.signature, problem.summary, reproduction
        )
        if first and problem.kind != kinds.HANG:
            smaller = self._minimise(problem, list(history), start)
            if smaller is not None:
                shrunk = (
                    f"{_script(start, smaller)}\n→ {problem.summary}\n{problem.detail}".rstrip()
                )
                self.tally.improve(problem.kind, problem.signature, shrunk)

    def _minimise(
        self, problem: Problem, history: list[Action], start: datetime
    ) -> list[Action] | None:
        """The shortest list of inputs found that still shows the problem at its last input."""
        spend = min(MINIMISE_SECONDS, self.minimise_budget)
        started = time.monotonic()
        deadline = started + spend
        try:
            return self._shrink(problem, history, start, deadline)
        finally:
            self.minimise_budget -= time.monotonic() - started

    def _shrink(
        self, problem: Problem, history: list[Action], start: datetime, deadline: float
    ) -> list[Action] | None:
        last = history[-1]
        card = next(
            (a for a in reversed(history) if a.kind == "scan" and a.origin == "school"), None
        )
        for candidate in ([last], [card, last] if card else None):
            if candidate and self._shows(problem, candidate, start):
                return candidate
        # Delta debugging over what came before, as far as the time allows.
        current, chunk = history[:-1], max(1, (len(history) - 1) // 2)
        while chunk >= 1 and time.monotonic() < deadline:
            shrunk = False
            for at in range(0, len(current), chunk):
                trial = current[:at] + current[at + chunk :]
                if time.monotonic() > deadline:
                    break
                if self._shows(problem, [*trial, last], start):
                    current, shrunk = trial, True
                    break
            if not shrunk:
                chunk //= 2
        return [*current, last] if len(current) + 1 < len(history) else None

    def _shows(self, problem: Problem, actions: list[Action], start: datetime) -> bool:
        with tempfile.TemporaryDirectory(prefix="fuzz-replay-", dir=self.folder) as tmp:
            door = DoorUnderTest(Path(tmp) / "replay.db", start)
            try:
                for action in actions[:-1]:
                    door.do(action)
                found = door.do(actions[-1]) + door.full_check()
            finally:
                door.close()
            shutil.rmtree(tmp, ignore_errors=True)
        return any((p.kind, p.signature) == (problem.kind, problem.signature) for p in found)


def _script(start: datetime, actions: list[Action], elided: int = 0) -> str:
    head = (
        f"# the sample school (kiosk/sample) on a new kiosk file; "
        f"clock = ScriptedClock(datetime.fromisoformat({start.isoformat()!r}))"
    )
    lines = [head]
    if elided > 0:
        lines.append(f"# … {elided} earlier inputs (see the round's seed) …")
    lines += [a.shown() for a in actions]
    return "\n".join(lines)
