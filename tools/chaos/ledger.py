"""The ground truth: every visit, what each door showed, and every event its journal held.

After each visit the new events of that kiosk's journal are read (the real store, read-only) and
kept here in the true order (visits happen one after another). This record outlives the kiosk's
file: events a restore from a backup took away, or retention deleted, are still here, and the
final checks look for each of them on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core.journal import as_dict
from kiosk.store import Store

Wire = dict[str, Any]  # an event as `kiosk events --json` prints it (the wire form)

# What a line `kiosk scan --json` printed says was journaled: outcome -> event type.
_JOURNALED = {
    "session_started": "session_started",
    "session_ended": "session_ended",
    "borrowed": "checkout",
    "renewed": "renewal",
    "returned": "return",
    "damage_reported": "damage_report",
    "refused": "refusal",
}


@dataclass
class Scan:
    """One `kiosk scan` run: a visit, or part of one when the simulation killed it."""

    index: int
    door: str
    kind: str
    codes: tuple[str, ...]
    truth: str  # the true time (ISO) when it started
    clock_right: bool  # the kiosk's clock was synchronised and true
    shown: list[dict[str, Any]] = field(default_factory=list)  # the JSON lines it printed
    status: int | None = None
    stderr: str = ""
    killed: bool = False  # SIGKILLed by the simulation after some lines
    events: list[Wire] = field(default_factory=list)  # what its door journaled meanwhile

    def failure(self) -> str | None:
        """Why this scan failed, if it did (a kill the simulation caused is no failure)."""
        if "Traceback" in self.stderr:
            return "traceback: " + self.stderr.strip().splitlines()[-1]
        if not self.killed and self.status != 0:
            return f"exit status {self.status}: {self.stderr.strip()[:300]}"
        return None

    def unjournaled(self) -> list[str]:
        """Decisions it showed that its door's journal does not hold."""
        journaled = [(e["type"], e.get("barcode")) for e in self.events]
        missing: list[str] = []
        for line in self.shown:
            for shown in (line, line.get("ended")):
                if not isinstance(shown, dict) or shown.get("outcome") not in _JOURNALED:
                    continue
                key = (_JOURNALED[shown["outcome"]], shown.get("barcode"))
                if shown["outcome"] in ("session_started", "session_ended", "refused"):
                    match = next((k for k in journaled if k[0] == key[0]), None)
                else:
                    match = key if key in journaled else None
                if match is None:
                    missing.append(f"{shown['outcome']} {shown.get('barcode') or ''}".strip())
                else:
                    journaled.remove(match)
        return missing


def journal(db: Path, after: int = 0) -> list[Wire]:
    """The kiosk's journal after sequence number ``after``, in the wire form."""
    with Store(db, read_only=True) as store:
        return [json.loads(json.dumps(as_dict(e), default=str)) for e in store.events(after)]


@dataclass
class Ledger:
    scans: list[Scan] = field(default_factory=list)
    events: dict[str, Wire] = field(default_factory=dict)  # by event id
    order: list[str] = field(default_factory=list)  # event ids, in the true order
    right: dict[str, bool] = field(default_factory=dict)  # the kiosk's clock was true then
    seen: dict[str, int] = field(default_factory=dict)  # kiosk -> last sequence number read
    when: dict[str, int] = field(default_factory=dict)  # event id -> visit it was read after
    milestones: dict[str, int] = field(default_factory=dict)  # e.g. "server restored" -> visit

    def observe(self, door: str, db: Path, *, clock_right: bool, visit: int) -> list[Wire]:
        """Read the door's new events into the record; they are returned in order."""
        new = [e for e in journal(db, self.seen.get(door, 0)) if e["id"] not in self.events]
        for e in new:
            self.events[e["id"]] = e
            self.order.append(e["id"])
            self.when[e["id"]] = visit
            self.right[e["id"]] = clock_right and bool(e["clock_synced"])
            self.seen[door] = max(self.seen.get(door, 0), int(e["seq"]))
        return new

    def rewound(self, door: str, db: Path) -> None:
        """The door's file was replaced by a backup: its journal ends earlier from now on."""
        self.seen[door] = max((int(e["seq"]) for e in journal(db)), default=0)

    def in_order(self) -> list[Wire]:
        return [self.events[i] for i in self.order]
