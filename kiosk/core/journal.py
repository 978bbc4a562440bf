"""The journal as values: recorded events, their hash chain, and the loan table they project to.

Each event carries the hash of the kiosk's previous event, so an event edited or removed after the
fact breaks the chain (the journal is the audit trail of an unstaffed door). The loan table is
nothing but :func:`project` of the journal; the store keeps it up to date incrementally and
``kiosk doctor`` checks that the two agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from kiosk.core.decisions import Event, EventType, Flag, Reason
from kiosk.core.models import Loan
from kiosk.core.moments import ClockSource

GENESIS_HASH = "0" * 64
# What the hash covers, and how it is written. Never change what a format hashes: journals already
# written must keep verifying. A new field means a new format number, kept with each event.
# Format 1: the fields below. Format 2 adds ``clock_source`` (an operator's time, or the system's).
JOURNAL_FORMAT = 2
FORMATS = (1, 2)


@dataclass(frozen=True)
class Stamp:
    """When and where an event happened, as far as the kiosk can know."""

    wall: datetime  # aware UTC: the time used for the decision (never behind the journal)
    clock: datetime  # aware UTC: what the system clock said, even if it was behind
    mono: float  # monotonic seconds
    boot_id: str
    clock_synced: bool
    source: ClockSource = ClockSource.SYSTEM


@dataclass(frozen=True)
class RecordedEvent:
    seq: int  # gap-free per kiosk, from 1
    id: str  # UUID4
    kiosk_id: str
    event: Event
    stamp: Stamp
    prev_hash: str
    hash: str
    format: int = JOURNAL_FORMAT


def _fields(
    seq: int,
    event_id: str,
    kiosk_id: str,
    event: Event,
    stamp: Stamp,
    prev_hash: str,
    journal_format: int,
) -> dict[str, object]:
    fields: dict[str, object] = {
        "format": journal_format,
        "seq": seq,
        "id": event_id,
        "kiosk_id": kiosk_id,
        "type": event.type.value,
        "reason": event.reason.value,
        "session_id": event.session_id,
        "card": event.card,
        "barcode": event.barcode,
        "code": event.code,
        "due": event.due.isoformat() if event.due else None,
        "flags": [f.value for f in event.flags],
        "wall_time": stamp.wall.isoformat(),
        "clock_time": stamp.clock.isoformat(),
        "mono_time": stamp.mono,  # JSON writes a float's shortest exact form (repr)
        "boot_id": stamp.boot_id,
        "clock_synced": stamp.clock_synced,
        "prev_hash": prev_hash,
    }
    if journal_format >= 2:
        fields["clock_source"] = stamp.source.value
    return fields


def _canonical(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def as_dict(recorded: RecordedEvent) -> dict[str, object]:
    """Everything an event holds, as plain values (``kiosk events --json``, and later the wire)."""
    fields = _fields(
        recorded.seq, recorded.id, recorded.kiosk_id, recorded.event, recorded.stamp,
        recorded.prev_hash, recorded.format,
    )  # fmt: skip
    # Format 1 did not hash the clock's source, but every event has one (``system`` then).
    return {**fields, "clock_source": recorded.stamp.source.value, "hash": recorded.hash}


def record(
    seq: int,
    event_id: str,
    kiosk_id: str,
    event: Event,
    stamp: Stamp,
    prev_hash: str,
    journal_format: int = JOURNAL_FORMAT,
) -> RecordedEvent:
    fields = _fields(seq, event_id, kiosk_id, event, stamp, prev_hash, journal_format)
    digest = digest_of(fields)
    return RecordedEvent(seq, event_id, kiosk_id, event, stamp, prev_hash, digest, journal_format)


def digest_of(fields: dict[str, object]) -> str:
    """The hash :func:`record` computes of these fields: those of :func:`as_dict` but ``hash``
    (and, in format 1, ``clock_source``). The server checks an event's wire form with it."""
    return hashlib.sha256(_canonical(fields)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def verify_chain(
    events: Iterable[RecordedEvent], first_prev: str = GENESIS_HASH
) -> list[ChainBreak]:
    """Every place where the journal is not what was written: a gap, an edit, a removal."""
    breaks: list[ChainBreak] = []
    expected_seq: int | None = None
    prev = first_prev
    for e in events:
        if expected_seq is not None and e.seq != expected_seq:
            gap = f"{expected_seq}" if e.seq - 1 == expected_seq else f"{expected_seq}-{e.seq - 1}"
            breaks.append(ChainBreak(e.seq, f"missing event(s) {gap} before this one"))
        if e.prev_hash != prev:
            breaks.append(ChainBreak(e.seq, "previous-event hash does not match"))
        if e.format not in FORMATS:
            breaks.append(ChainBreak(e.seq, f"unknown journal format {e.format}"))
        elif record(e.seq, e.id, e.kiosk_id, e.event, e.stamp, e.prev_hash, e.format) != e:
            breaks.append(ChainBreak(e.seq, "event content does not match its hash"))
        expected_seq, prev = e.seq + 1, e.hash
    return breaks


def apply(loans: dict[str, Loan], recorded: RecordedEvent) -> None:
    """Fold one event into the loan table."""
    event = recorded.event
    if event.barcode is None:
        return
    if event.type is EventType.RETURN:
        loans.pop(event.barcode, None)
    elif event.type is EventType.CHECKOUT:
        assert event.card is not None and event.due is not None
        loans[event.barcode] = Loan(
            event.barcode, event.card, recorded.stamp.wall, event.due, recorded.seq
        )
    elif event.type is EventType.RENEWAL:
        assert event.card is not None and event.due is not None
        held = loans.get(event.barcode)
        if held is not None and held.card == event.card:
            loans[event.barcode] = replace(held, due=event.due, renewals=held.renewals + 1)
        else:
            # Lent at another door: this journal knows the loan from the renewal on (the loan
            # view takes when it began and its earlier renewals from the server's, see
            # kiosk.store._loanview).
            loans[event.barcode] = Loan(
                event.barcode, event.card, recorded.stamp.wall, event.due, recorded.seq, 1
            )


def project(events: Iterable[RecordedEvent]) -> dict[str, Loan]:
    """The loan table as the journal alone says it is."""
    loans: dict[str, Loan] = {}
    for recorded in events:
        apply(loans, recorded)
    return loans


def event_from_columns(
    *,
    type: str,
    reason: str,
    session_id: str | None,
    card: str | None,
    barcode: str | None,
    code: str | None,
    due: str | None,
    flags: str,
) -> Event:
    """Rebuild an :class:`Event` from its stored text form."""
    return Event(
        type=EventType(type),
        reason=Reason(reason),
        session_id=session_id,
        card=card,
        barcode=barcode,
        code=code,
        due=date.fromisoformat(due) if due else None,
        flags=tuple(Flag(f) for f in flags.split(",") if f),
    )
