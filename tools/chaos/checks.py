"""The final checks: what the doors showed against what the server and every kiosk hold.

Pure functions over what the end of the run collected (tools.chaos.finale): each gives the
problems it found, one line each; a check passes when it finds none. The true order is the
order of the visits (they happen one after another); the server's own fold
(sync.server.loans.fold) replays both the true history and the server's stored events.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.core.decisions import EventType
from sync.server.loans import Circulation, State, fold
from tools.chaos.ledger import Ledger, Wire

# What identifies a decision whatever number or id it is stored under (a kiosk that renumbers
# its events after a restore keeps them all the same).
_DECISION = (
    "kiosk_id",
    "type",
    "reason",
    "session_id",
    "card",
    "barcode",
    "code",
    "due",
    "wall_time",
    "mono_time",
    "boot_id",
)
_UNKNOWN_REASONS = ("unknown_code", "unknown_copy", "unknown_reader")
_CIRCULATION = ("checkout", "renewal", "return")  # what the server's loans fold


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    checked: int = 0  # how many things were looked at
    gating: bool = True  # a problem here fails the run
    count: int | None = None  # what was found, when a problem line stands for several

    @property
    def found(self) -> int:
        return len(self.problems) if self.count is None else self.count

    @property
    def ok(self) -> bool:
        return self.found == 0


@dataclass(frozen=True)
class Lost:
    """Events shown at a door and not on the server, and the copies they touched: what follows
    from them is reported once, as their consequence, not as a new difference."""

    ids: frozenset[str]
    copies: frozenset[str]


def _decision(e: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(json.dumps(e.get(k), sort_keys=True) for k in _DECISION)


def _event(e: Mapping[str, Any]) -> str:
    what = e.get("barcode") or e.get("card") or ""
    return f"{e['kiosk_id']}#{e['seq']} {e['type']} {what} ({e['id'][:8]})"


def _cause(ledger: Ledger, e: Mapping[str, Any], kept: frozenset[str]) -> str:
    """What the simulation did that could explain an event's loss, and where the event is."""
    visit = ledger.when.get(e["id"], -1)
    door_restored = ledger.milestones.get(f"{e['kiosk_id']} restored")
    server_restored = ledger.milestones.get("server restored")
    causes = []
    if door_restored is not None and visit >= door_restored:
        causes.append(f"journaled after {e['kiosk_id']}'s file was restored from its backup")
    if server_restored is not None and visit < server_restored:
        causes.append("journaled before the server's database was restored from its backup")
    where = (
        "still in the kiosk's journal, not sent again"
        if e["id"] in kept
        else "no longer in the kiosk's journal (retention or the restore removed it)"
    )
    return "; ".join([*(causes or ["no restore explains it"]), where])


def _ranges(seqs: list[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(seqs):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"#{r[0]}" if len(r) == 1 else f"#{r[0]}-#{r[-1]}" for r in runs)


def _grouped(ledger: Ledger, events: list[Wire], kept: frozenset[str]) -> list[str]:
    """Lost events as one line per kiosk and cause: their numbers and their types."""
    groups: dict[tuple[str, str], list[Wire]] = defaultdict(list)
    for e in events:
        groups[(e["kiosk_id"], _cause(ledger, e, kept))].append(e)
    lines = []
    for (kiosk, cause), found in sorted(groups.items()):
        types = Counter(str(e["type"]) for e in found)
        kinds = ", ".join(f"{t} {n}" for t, n in sorted(types.items()))
        lines.append(
            f"{kiosk} {_ranges([int(e['seq']) for e in found])}: {len(found)} ({kinds}); {cause}"
        )
    return lines


def on_the_server(
    ledger: Ledger, server: Sequence[Wire], kept: frozenset[str] = frozenset()
) -> tuple[list[Check], Lost]:
    """Every event shown at a door is on the server exactly once and unchanged. ``kept``: the
    ids of the events the kiosks' files still hold at the end (to say where a lost one is)."""
    by_id: dict[str, list[Wire]] = defaultdict(list)
    by_decision: dict[tuple[object, ...], list[Wire]] = defaultdict(list)
    for e in server:
        by_id[e["id"]].append(e)
        by_decision[_decision(e)].append(e)
    lost = Check("lost: shown at a door, not on the server")
    doubled = Check("doubled: on the server more than once")
    changed = Check("changed: on the server, not as the door journaled it")
    renumbered = Check("kept under a new number or id (after a restore)", gating=False)
    unknown = Check("on the server, never journaled at a door")
    seen_decisions = set()
    missing: list[Wire] = []
    for e in ledger.in_order():
        lost.checked += 1
        seen_decisions.add(_decision(e))
        found = by_id.get(e["id"], [])
        if not found:
            if by_decision.get(_decision(e)):
                renumbered.problems.append(_event(e))
            else:
                missing.append(e)
        elif found[0] != e:
            fields = sorted(k for k in e if e.get(k) != found[0].get(k))
            changed.problems.append(f"{_event(e)}: {', '.join(fields)} differ")
    lost.problems, lost.count = _grouped(ledger, missing, kept), len(missing)
    for copies in by_decision.values():
        if len(copies) > 1:
            doubled.problems.append(f"{_event(copies[0])} stored {len(copies)} times")
    for e in server:
        unknown.checked += 1
        if e["id"] not in ledger.events and _decision(e) not in seen_decisions:
            unknown.problems.append(_event(e))
    gone = Lost(
        frozenset(e["id"] for e in missing),
        frozenset(e["barcode"] for e in missing if e.get("barcode")),
    )
    return [lost, doubled, changed, renumbered, unknown], gone


def _circulation(e: Mapping[str, Any], when: datetime) -> Circulation:
    return Circulation(
        e["id"],
        e["kiosk_id"],
        int(e["seq"]),
        EventType(e["type"]),
        e.get("card"),
        e.get("due"),
        frozenset(e.get("flags") or ()),
        when,
    )


@dataclass(frozen=True)
class Truth:
    """Each copy's history in the true order: its state, its conflicts, whether every one of
    its checkouts and returns was stamped by a clock that was right."""

    states: dict[str, State | None]
    conflicts: dict[str, list[str]]  # barcode -> (kind:event id) of each conflict
    right: dict[str, bool]


def true_history(ledger: Ledger) -> Truth:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    history: dict[str, list[Circulation]] = defaultdict(list)
    right: dict[str, bool] = defaultdict(lambda: True)
    for n, e in enumerate(ledger.in_order()):
        if e["type"] in _CIRCULATION and e.get("barcode"):
            history[e["barcode"]].append(_circulation(e, start + timedelta(seconds=n)))
            right[e["barcode"]] &= ledger.right[e["id"]]
    states, conflicts = {}, {}
    for barcode, events in history.items():
        state, items = fold(barcode, events)
        states[barcode] = state
        conflicts[barcode] = [f"{i.kind.value}:{i.event_id}" for i in items]
    return Truth(states, conflicts, dict(right))


def replayed(server: Iterable[Mapping[str, Any]], loans: Mapping[str, Mapping[str, Any]]) -> Check:
    """The server's loans are the fold of its own events in its own order."""
    check = Check("server loans = replay of the server's events")
    history: dict[str, list[Circulation]] = defaultdict(list)
    for e in server:  # in effective-time order, as the server folds them
        history[e["barcode"]].append(_circulation(e, e["effective_time"]))
    for barcode in sorted(set(history) | set(loans)):
        check.checked += 1
        state, _ = fold(barcode, history.get(barcode, []))
        row = loans.get(barcode)
        want = _state_row(state)
        got = {k: row.get(k) for k in want} if row else _state_row(None)
        if want != got:
            check.problems.append(f"{barcode}: replay {want}, server {got}")
    return check


def _state_row(state: State | None) -> dict[str, Any]:
    if state is None:
        return {"on_loan": False, "card": None, "checkout_event": None}
    return {"on_loan": state.on_loan, "card": state.card, "checkout_event": state.checkout_event}


def consequences() -> Check:
    """Where the other checks put what follows from lost events (not failed twice for it)."""
    return Check("... of which consequences of lost events (copies they touched)", gating=False)


def in_true_order(
    truth: Truth, loans: Mapping[str, Mapping[str, Any]], lost: Lost, after: Check
) -> list[Check]:
    """Copies whose every event had a right clock: the server holds what truly happened."""
    check = Check("server loans = the true order (copies whose clocks were right)")
    wrong = Check("copies with an event from a wrong clock: server differs", gating=False)
    for barcode, state in sorted(truth.states.items()):
        want = (state.on_loan, state.card) if state and state.on_loan else (False, None)
        row = loans.get(barcode)
        got = (bool(row["on_loan"]), row["card"]) if row and row["on_loan"] else (False, None)
        target = check if truth.right[barcode] else wrong
        target.checked += 1
        if want != got:
            problem = f"{barcode}: truly {_holder(want)}, server {_holder(got)}"
            (after if barcode in lost.copies else target).problems.append(problem)
    return [check, wrong]


def _holder(state: tuple[bool, str | None]) -> str:
    return f"on loan to {state[1]}" if state[0] else "on the shelf"


def kiosks_agree(
    loans: Mapping[str, Mapping[str, Any]],
    kiosk_loans: Mapping[str, Sequence[Mapping[str, Any]]],
    lost: Lost,
    after: Check,
) -> Check:
    check = Check("every kiosk's loans = the server's")
    server = {(b, r["card"], r["due"]) for b, r in loans.items() if r["on_loan"]}
    for door, rows in sorted(kiosk_loans.items()):
        check.checked += 1
        mine = {(r["barcode"], r["reader"], r["due"]) for r in rows}
        differ = [
            (b, f"{door} has {b} on loan to {c} (due {d}); the server not")
            for b, c, d in mine - server
        ]
        differ += [(b, f"{door} misses {b} on loan to {c} (due {d})") for b, c, d in server - mine]
        for barcode, problem in sorted(differ):
            (after if barcode in lost.copies else check).problems.append(problem)
    return check


def _detail(item: Mapping[str, Any]) -> dict[str, Any]:
    detail = item.get("detail")
    return json.loads(detail) if isinstance(detail, str) else dict(detail or {})


def _expected_items(ledger: Ledger, truth: Truth, lost: Lost) -> tuple[set[str], dict[str, Wire]]:
    """The items the true history calls for (kind:event id), and the unknown codes scanned."""
    expected: set[str] = set()
    for barcode, conflicts in truth.conflicts.items():
        if truth.right.get(barcode, False):
            expected |= set(conflicts)
    codes: dict[str, Wire] = {}
    for e in ledger.in_order():
        if e["type"] == "damage_report":
            expected.add(f"damage_reported:{e['id']}")
        unknown = e["type"] == "refusal" and e["reason"] in _UNKNOWN_REASONS and e.get("code")
        if unknown and (e["code"] not in codes or codes[e["code"]]["id"] in lost.ids):
            codes[e["code"]] = e  # one scan of the code that reached the server is enough
    return expected, codes


def inbox(
    ledger: Ledger, truth: Truth, items: Sequence[Mapping[str, Any]], lost: Lost, after: Check
) -> list[Check]:
    """Every conflict of the true history, every damage report and unknown code, is an open
    item; no item says something happened that did not."""
    missing = Check("conflicts missing from the review inbox")
    false = Check("review items the true history does not explain")
    other = Check("other open review items (kinds)", gating=False)
    found = {f"{i['kind']}:{i['event_id']}" for i in items if i.get("event_id")}
    codes = {_detail(i).get("code") for i in items if i["kind"] == "unknown_code"}
    expected, scanned = _expected_items(ledger, truth, lost)
    for code, e in sorted(scanned.items()):
        missing.checked += 1
        if code not in codes:
            target = after if e["id"] in lost.ids else missing
            target.problems.append(f"unknown_code {code!r} ({_event(e)})")
    for key in sorted(expected):
        missing.checked += 1
        if key not in found:
            event = ledger.events[key.split(":", 1)[1]]
            gone = event["id"] in lost.ids or event.get("barcode") in lost.copies
            (after if gone else missing).problems.append(f"{key.split(':')[0]}: {_event(event)}")
    every = {c for cs in truth.conflicts.values() for c in cs}
    kinds: Counter[str] = Counter()
    for i in items:
        item = f"{i['kind']}:{i['event_id']}"
        copy = i.get("barcode") or ""
        if i["kind"] in ("lent_twice", "return_not_on_loan"):
            false.checked += 1
            problem = f"{i['kind']} {copy} at {i['kiosk']}#{i['seq']}"
            if item in every:
                continue
            if copy in lost.copies:
                after.problems.append(problem)
            elif truth.right.get(copy, False):
                false.problems.append(problem)
            else:
                kinds[f"{i['kind']} (a copy with a wrong clock)"] += 1
        elif i["kind"] in ("sequence_gap", "chain_break"):
            false.checked += 1
            false.problems.append(f"{i['kind']} {i['kiosk']}: {_detail(i)}")
        elif i["kind"] not in ("damage_reported", "unknown_code"):
            kinds[i["kind"]] += 1
    other.problems = [f"{kind}: {n}" for kind, n in sorted(kinds.items())]
    return [missing, false, other]


def scans(ledger: Ledger) -> list[Check]:
    failed = Check("scans failed (exit status, traceback, hang)")
    unjournaled = Check("decisions shown at a door, not in its journal")
    for scan in ledger.scans:
        failed.checked += 1
        unjournaled.checked += 1
        problem = scan.failure()
        if problem:
            failed.problems.append(f"visit {scan.index} at {scan.door} {scan.codes}: {problem}")
        for shown in scan.unjournaled():
            unjournaled.problems.append(f"visit {scan.index} at {scan.door}: {shown}")
    return [failed, unjournaled]
