"""The real door (kiosk.door.Door) over a real SQLite Store holding the sample school, on a
ScriptedClock, with every promise a scan makes checked after each input.

After every input: no exception escaped; a scan or press got a decision with a known reason
and outcome; a refusal or an ignored scan left the loans as they were; the new journal events
continue the hash chain and are what the door said it recorded; the loan table equals the
journal's projection; every refusal keeps only what ``kept_code`` keeps; the input took less
than HANG_SECONDS.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.clocks import ScriptedClock
from kiosk.core.calendar import is_open_day
from kiosk.core.codes import MAX_CODE_LENGTH, clean_code, kept_code, printable
from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.journal import GENESIS_HASH, RecordedEvent, apply, verify_chain
from kiosk.core.models import Loan
from kiosk.core.policy import Policy
from kiosk.core.session import Button, DeviceRole
from kiosk.door import Door, Handled
from kiosk.imports import read_catalog, read_policy_source, read_roster
from kiosk.store import Store
from tools.fuzz import tally as kinds
from tools.fuzz.texts import SAMPLE

HANG_SECONDS = 2.0


@dataclass(frozen=True)
class Action:
    """One input at the door: a scan, a button, a touch, or time passing (``tick``)."""

    kind: str  # scan | done | damaged | touch | tick
    text: str = ""
    role: str = "any"
    wait: float = 1.0  # seconds the clock moves on before it
    origin: str = "school"  # school, or how the hostile text came: direct/sql, wedge, ...

    def shown(self) -> str:
        if self.kind != "scan":
            return f"clock.advance({self.wait:g}); door.{_CALLS[self.kind]}"
        text = self.text
        literal = repr(text) if len(text) <= 120 else f"{text[:40]!r} + … ({len(text)} chars)"
        role = "" if self.role == "any" else f", DeviceRole.{self.role.upper()}"
        return f"clock.advance({self.wait:g}); door.scan({literal}{role})"


_CALLS = {
    "done": "press(Button.DONE)",
    "damaged": "press(Button.DAMAGED)",
    "touch": "touch()",
    "tick": "tick()",
}


@dataclass(frozen=True)
class Problem:
    kind: str
    signature: str
    summary: str
    detail: str = ""


def borrowing_moments(policy: Policy) -> list[datetime]:
    """Two minutes into every borrowing window of the term: when visits can borrow."""
    zone = ZoneInfo(policy.timezone)
    moments = []
    day = policy.term.start
    while day <= policy.term.end:
        if is_open_day(policy.term, day):
            for window in policy.windows:
                if day.weekday() in window.weekdays:
                    start = datetime.combine(day, window.start, tzinfo=zone)
                    moments.append(start + timedelta(minutes=2))
        day += timedelta(days=1)
    return sorted(moments)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{'/'.join(last.filename.split('/')[-2:])}:{last.lineno}"


class DoorUnderTest:
    """A fresh kiosk file with the sample school, its door and clock, and the running checks."""

    def __init__(self, path: Path, start: datetime) -> None:
        self.path = path
        self.store = Store.create(path, "fuzz-door")
        self.policy = self.store.save_policy(read_policy_source(SAMPLE / "policy.toml"))
        self.store.import_readers(read_roster(SAMPLE / "roster.csv").items)
        self.store.import_copies(read_catalog(SAMPLE / "catalog.csv").items)
        self.clock = ScriptedClock(start)
        counter = iter(range(1, 10**9))
        self.door = Door(self.store, self.clock, new_id=lambda: f"fuzz-session-{next(counter)}")
        self.seq, self.last_hash = 0, GENESIS_HASH
        self.loans: dict[str, Loan] = {}
        self._catch_up()

    def close(self) -> None:
        self.store.close()

    def _catch_up(self) -> list[RecordedEvent]:
        new = list(self.store.events(self.seq))
        for event in new:
            apply(self.loans, event)
        if new:
            self.seq, self.last_hash = new[-1].seq, new[-1].hash
        return new

    def call(self, action: Action) -> Callable[[], Handled]:
        door = self.door
        if action.kind == "scan":
            role = DeviceRole(action.role)
            return lambda: door.scan(action.text, role)
        if action.kind == "done":
            return lambda: door.press(Button.DONE)
        if action.kind == "damaged":
            return lambda: door.press(Button.DAMAGED)
        if action.kind == "touch":
            return door.touch
        return door.tick

    def do(self, action: Action) -> list[Problem]:
        """Run one input and check every promise; the problems found (none, usually)."""
        self.clock.advance(action.wait)
        before = dict(self.loans)
        first_prev, first_seq = self.last_hash, self.seq + 1
        started = time.perf_counter()
        try:
            handled = self.call(action)()
        except Exception as exc:
            self._catch_up()
            return [
                Problem(
                    kinds.CRASH,
                    f"{type(exc).__name__} at {_where(exc)}",
                    f"{type(exc).__name__}: {str(exc)[:200]}",
                    traceback.format_exc(limit=-6),
                )
            ]
        elapsed = time.perf_counter() - started
        problems: list[Problem] = []
        if elapsed > HANG_SECONDS:
            problems.append(Problem(kinds.HANG, "slow input", f"{elapsed:.1f} s for one input"))
        new = self._catch_up()
        problems += self._journal(new, handled, first_prev, first_seq)
        problems += self._decision(action, handled, before)
        problems += self._kept_codes(action, new)
        return problems

    def _journal(
        self, new: list[RecordedEvent], handled: Handled, first_prev: str, first_seq: int
    ) -> list[Problem]:
        out = []
        breaks = verify_chain(new, first_prev)
        if new and new[0].seq != first_seq:
            out.append(
                Problem(kinds.INVARIANT, "journal gap", f"seq {new[0].seq} after {first_seq - 1}")
            )
        if breaks:
            out.append(Problem(kinds.INVARIANT, "hash chain broken", breaks[0].problem))
        if [(e.seq, e.hash) for e in new] != [(e.seq, e.hash) for e in handled.recorded]:
            out.append(
                Problem(kinds.INVARIANT, "journal is not what the door recorded", f"{len(new)} new")
            )
        actual = {loan.barcode: loan for loan in self.store.loans()}
        if actual != self.loans:
            differ = sorted(
                k for k in actual.keys() | self.loans.keys() if actual.get(k) != self.loans.get(k)
            )
            out.append(
                Problem(
                    kinds.INVARIANT,
                    "loan table differs from the journal's projection",
                    f"copies {differ[:5]}",
                )
            )
        return out

    def _decision(self, action: Action, handled: Handled, before: dict[str, Loan]) -> list[Problem]:
        decision = handled.decision
        if action.kind in ("touch", "tick"):
            if decision is not None and decision.reason not in set(Reason):
                return [Problem(kinds.INVARIANT, "unknown reason", repr(decision.reason))]
            return []
        if decision is None:
            return [Problem(kinds.INVARIANT, "no decision", f"{action.kind} got no decision")]
        out = []
        if decision.reason not in set(Reason) or decision.outcome not in set(Outcome):
            out.append(
                Problem(
                    kinds.INVARIANT,
                    "unknown reason or outcome",
                    f"{decision.outcome!r} {decision.reason!r}",
                )
            )
        if not decision.message_key:
            out.append(Problem(kinds.INVARIANT, "no message key", repr(decision)))
        if decision.outcome in (Outcome.REFUSED, Outcome.IGNORED) and self.loans != before:
            changed = sorted(
                k for k in self.loans.keys() | before.keys() if self.loans.get(k) != before.get(k)
            )
            out.append(
                Problem(
                    kinds.CHANGE,
                    f"a {decision.outcome} scan changed loans ({decision.reason})",
                    f"{decision.reason}: copies {changed[:5]} changed",
                )
            )
        return out

    def _kept_codes(self, action: Action, new: list[RecordedEvent]) -> list[Problem]:
        out = []
        for recorded in new:
            event = recorded.event
            if event.type is not EventType.REFUSAL or event.code is None:
                continue
            stored = event.code
            if action.kind == "scan":
                cleaned = clean_code(action.text)
                expected = kept_code(cleaned if cleaned is not None else printable(action.text))
            else:
                expected = kept_code(stored)
            bad_text = len(stored) > MAX_CODE_LENGTH or not stored.isprintable()
            if stored != expected or bad_text:
                what = "unsafe text" if bad_text else "a code kept_code would not keep"
                out.append(
                    Problem(
                        kinds.INVARIANT,
                        f"a refusal keeps {what}",
                        f"a {event.reason} refusal keeps {stored[:80]!r}; "
                        f"kept_code gives {expected[:80]!r}",
                    )
                )
        return out

    def full_check(self) -> list[Problem]:
        """What `kiosk doctor` checks, over the whole file: chain, projection, integrity."""
        out = []
        breaks = verify_chain(self.store.events())
        if breaks:
            out.append(Problem(kinds.INVARIANT, "hash chain broken", breaks[0].problem))
        differences = self.store.projection_differences()
        if differences:
            out.append(
                Problem(kinds.INVARIANT, "loan table differs from the journal", differences[0])
            )
        integrity = self.store.integrity_problems()
        if integrity:
            out.append(Problem(kinds.INVARIANT, "integrity check failed", integrity[0]))
        return out
