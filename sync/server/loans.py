"""The authoritative loans: every copy's state folded from all kiosks' checkouts, renewals and
returns.

Events arrive late and out of order (a kiosk offline for a week), so the state of a copy is
never patched: it is folded again from all of that copy's events, in the order the server
believes they happened (effective time, then kiosk, then journal and sequence). The fold also
says what the librarian must look at; items it no longer finds are cleared (see
sync.server.review).
Call :func:`refold` with the revision lock held (sync.server.revisions.lock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from kiosk.core.decisions import EventType, Flag
from sync.server import revisions
from sync.server.review import Item, Kind, clear, report
from sync.server.tables import events, loans

FOLDED_KINDS = (Kind.LENT_TWICE, Kind.RETURN_NOT_ON_LOAN)


@dataclass(frozen=True)
class Circulation:
    """One checkout, renewal or return of a copy, as the fold needs it."""

    id: str
    kiosk: str
    seq: int
    type: EventType
    card: str | None
    due: str | None
    flags: frozenset[str]
    effective: datetime


@dataclass(frozen=True)
class State:
    on_loan: bool
    card: str | None
    borrowed_at: datetime | None
    due: str | None
    kiosk: str | None
    checkout_event: str | None
    last_event: str


def fold(barcode: str, history: Sequence[Circulation]) -> tuple[State | None, list[Item]]:
    """A copy's state after ``history`` (in order), and the conflicts found on the way."""
    state: State | None = None
    found: list[Item] = []
    for e in history:
        renewing = e.type is EventType.RENEWAL
        if renewing and state is not None and state.on_loan and state.card == e.card:
            # The same reader keeps it: a later due date, the loan otherwise as it was.
            state = replace(state, due=e.due, last_event=e.id)
            continue
        if e.type in (EventType.CHECKOUT, EventType.RENEWAL):
            # A renewal of a loan the server does not know (its checkout not pushed yet, or
            # lent meanwhile at another door): the renewing reader has the copy in hand.
            if state is not None and state.on_loan and Flag.TAKEN_FROM_OTHER not in e.flags:
                # The lending kiosk did not know the copy was out: lent twice while offline.
                found.append(
                    Item(
                        Kind.LENT_TWICE,
                        f"{e.id}",
                        e.kiosk,
                        e.seq,
                        e.id,
                        barcode,
                        e.card,
                        {
                            "first_card": state.card,
                            "first_kiosk": state.kiosk,
                            "first_event": state.checkout_event,
                            "second_card": e.card,
                            "second_kiosk": e.kiosk,
                            "second_event": e.id,
                        },
                    )
                )
            state = State(True, e.card, e.effective, e.due, e.kiosk, e.id, e.id)
        elif e.type is EventType.RETURN:
            if state is None or not state.on_loan:
                found.append(
                    Item(
                        Kind.RETURN_NOT_ON_LOAN,
                        e.id,
                        e.kiosk,
                        e.seq,
                        e.id,
                        barcode,
                        None,
                        {"kiosk": e.kiosk, "event": e.id},
                    )
                )
            state = State(False, None, None, None, None, None, e.id)
    return state, found


# Built once, the copies given when it runs (an "expanding" list): a group of pushes folds
# hundreds of copies, and a statement of hundreds of values costs more to build than to run.
_c = events.c
_HISTORY = (
    select(
        _c.barcode, _c.id, _c.kiosk, _c.seq, _c.type, _c.card, _c.due, _c.flags, _c.effective_time
    )
    .where(_c.barcode.in_(bindparam("barcodes", expanding=True)))
    .where(_c.type.in_(["checkout", "renewal", "return"]))
    .order_by(_c.barcode, _c.effective_time, _c.kiosk, _c.journal, _c.seq)
)
_STORED = select(loans).where(loans.c.barcode.in_(bindparam("barcodes", expanding=True)))


def _history(conn: Connection, barcodes: Iterable[str]) -> dict[str, list[Circulation]]:
    rows = conn.execute(_HISTORY, {"barcodes": sorted(barcodes)})
    history: dict[str, list[Circulation]] = defaultdict(list)
    for r in rows:
        history[r.barcode].append(
            Circulation(
                r.id,
                r.kiosk,
                r.seq,
                EventType(r.type),
                r.card,
                r.due,
                frozenset(f for f in r.flags.split(",") if f),
                r.effective_time,
            )
        )
    return history


def refold(conn: Connection, barcodes: set[str], now: datetime) -> int:
    """Fold the named copies again; store what changed with new revisions. The rows changed."""
    if not barcodes:
        return 0
    history = _history(conn, barcodes)
    stored = {
        r.barcode: State(
            r.on_loan, r.card, r.borrowed_at, r.due, r.kiosk, r.checkout_event, r.last_event
        )
        for r in conn.execute(_STORED, {"barcodes": sorted(barcodes)})
    }
    changed: list[tuple[str, State]] = []
    found: list[Item] = []
    for barcode in sorted(barcodes):
        state, conflicts = fold(barcode, history.get(barcode, []))
        found += conflicts
        if state is not None and stored.get(barcode) != state:
            changed.append((barcode, state))
    report(conn, found, now)
    clear(conn, FOLDED_KINDS, "barcode", barcodes, {i.key for i in found}, now)
    numbers = revisions.take(conn, len(changed))
    rows = [_values(b, s, r) for (b, s), r in zip(changed, numbers, strict=True)]
    # Under the revision lock nobody else writes loans: update-else-insert cannot race.
    updates = [r for r in rows if r["barcode"] in stored]
    inserts = [r for r in rows if r["barcode"] not in stored]
    if updates:
        conn.execute(
            update(loans).where(loans.c.barcode == bindparam("key")),
            [{**r, "key": r["barcode"]} for r in updates],
        )
    if inserts:
        conn.execute(loans.insert(), inserts)
    return len(changed)


def _values(barcode: str, state: State, revision: int) -> dict[str, object]:
    return {
        "barcode": barcode,
        "on_loan": state.on_loan,
        "card": state.card,
        "borrowed_at": state.borrowed_at,
        "due": state.due,
        "kiosk": state.kiosk,
        "checkout_event": state.checkout_event,
        "last_event": state.last_event,
        "revision": revision,
    }
