"""The session engine: what a card, a book or a button press means at the door, as a pure step.

``step(state, input, context) -> Step``. A card opens a session; books scanned in a session are
borrowed; a book scanned with no session is a return; another card ends the open session first;
the idle timeout ends it; every way out goes through :func:`_end`. The touchscreen, the `kiosk
scan` command and the tests drive this same function.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.core.books import Resolved, resolve_book
from kiosk.core.circulation import accept_return, borrow, renew
from kiosk.core.codes import clean_code, kept_code, printable
from kiosk.core.decisions import Decision, Event, EventType, Outcome, Reason
from kiosk.core.library import Library
from kiosk.core.models import Reader, ReaderRole
from kiosk.core.modes import DoorMode, turned_away
from kiosk.core.moments import Instant, local_time
from kiosk.core.policy import Policy

# A child may press "this book is damaged" for this long after returning it.
DAMAGE_REPORT_SECONDS = 120.0
# A book scanned this soon after a reader's session ended is most likely that reader's return
# (told "press Done, then scan it"): an ISBN-only return then prefers their copy.
RECENT_READER_SECONDS = 60.0


class DeviceRole(enum.StrEnum):
    """What the scanner that produced a scan is for (its role in kiosk.toml; kiosk.desk maps
    hardware.ScannerRole to it, the core imports no hardware)."""

    CARD = "card"
    BOOK = "book"
    ANY = "any"


class Button(enum.StrEnum):
    DONE = "done"  # "我借好了 / I'm done"
    DAMAGED = "damaged"  # "这本书坏了 / This book is damaged", after a return
    RENEW = "renew"  # "续借 / Renew" beside one of the reader's loans (loans.renew_without_book)


@dataclass(frozen=True)
class Scan:
    text: str
    at: Instant
    role: DeviceRole = DeviceRole.ANY


@dataclass(frozen=True)
class Press:
    button: Button
    at: Instant
    barcode: str | None = None  # the loan a renew button stands beside


@dataclass(frozen=True)
class Tick:
    """Time passing with nothing read: lets the idle timeout fire."""

    at: Instant


@dataclass(frozen=True)
class Touch:
    """A touch on the screen during a session: the child is still there. Not journaled."""

    at: Instant


Input = Scan | Press | Tick | Touch


@dataclass(frozen=True)
class OpenSession:
    id: str
    reader: Reader
    last_activity: float  # monotonic seconds


@dataclass(frozen=True)
class LastReturn:
    barcode: str
    title: str
    mono: float


@dataclass(frozen=True)
class RecentReader:
    card: str
    left_mono: float


@dataclass(frozen=True)
class SessionState:
    session: OpenSession | None = None
    last_code: str | None = None
    last_code_mono: float = float("-inf")
    last_return: LastReturn | None = None
    recent_reader: RecentReader | None = None


@dataclass(frozen=True)
class Context:
    policy: Policy
    library: Library
    new_id: Callable[[], str]  # a fresh session id (uuid4 in the kiosk, a counter in tests)
    mode: DoorMode = DoorMode.NORMAL


@dataclass(frozen=True)
class Step:
    state: SessionState
    decision: Decision | None  # the answer to this input (None for a quiet tick)
    ended: Decision | None = None  # a session this input ended on the way (timeout, another card)
    events: tuple[Event, ...] = ()


def step(state: SessionState, inp: Input, ctx: Context) -> Step:
    timed_out = _idle_timeout(state, inp.at, ctx.policy)
    if timed_out is not None:
        state, ended, end_events = timed_out
    else:
        ended, end_events = None, ()
    if isinstance(inp, Tick):
        result = Step(state, None)
    elif isinstance(inp, Touch):
        if state.session is not None:
            state = replace(state, session=replace(state.session, last_activity=inp.at.mono))
        result = Step(state, None)
    elif isinstance(inp, Press):
        result = _press(state, inp, ctx)
    else:
        result = _scan(state, inp, ctx)
    if ended is None:
        return result
    return replace(result, ended=ended, events=(*end_events, *result.events))


def end_session(state: SessionState, reason: Reason, at: Instant) -> Step:
    """Close the open session from outside (shutdown, a helper card); no-op if none is open."""
    if state.session is None:
        return Step(state, None)
    new_state, decision, events = _end(state, reason, at.mono)
    return Step(new_state, decision, events=events)


def dangling_session_end(session_id: str, card: str) -> Event:
    """The end of a session the journal shows open after a crash or power cut."""
    return Event(EventType.SESSION_ENDED, Reason.RESTART, session_id=session_id, card=card)


def _end(
    state: SessionState, reason: Reason, mono: float
) -> tuple[SessionState, Decision, tuple[Event, ...]]:
    """The one way out of a session.

    The last code read is kept: a book left lying under the scanner must not turn into a
    return the moment the session it was borrowed in ends.
    """
    session = state.session
    assert session is not None
    event = Event(EventType.SESSION_ENDED, reason, session_id=session.id, card=session.reader.card)
    decision = Decision(
        code="",
        outcome=Outcome.SESSION_ENDED,
        reason=reason,
        message_key=f"session.ended.{reason.value}",
        reader=session.reader.card,
        given_name=session.reader.given_name,
    )
    recent = RecentReader(session.reader.card, mono)
    return replace(state, session=None, recent_reader=recent), decision, (event,)


def session_expired(state: SessionState, mono: float, policy: Policy) -> bool:
    """Whether the open session has been idle for ``session.idle_seconds`` by now."""
    session = state.session
    return session is not None and mono - session.last_activity >= policy.idle_seconds


def _idle_timeout(
    state: SessionState, at: Instant, policy: Policy
) -> tuple[SessionState, Decision, tuple[Event, ...]] | None:
    if not session_expired(state, at.mono, policy):
        return None
    return _end(state, Reason.IDLE_TIMEOUT, at.mono)


def _press(state: SessionState, press: Press, ctx: Context) -> Step:
    if press.button is Button.DONE:
        if state.session is None:
            return Step(state, _answer("", Outcome.IGNORED, Reason.NO_SESSION))
        new_state, decision, events = _end(state, Reason.FINISHED, press.at.mono)
        return Step(new_state, decision, events=events)
    if press.button is Button.RENEW:
        return _renew_button(state, press, ctx)
    # DAMAGED: only for the copy just returned here, once.
    last = state.last_return
    session_id = state.session.id if state.session else None
    if last is None or press.at.mono - last.mono > DAMAGE_REPORT_SECONDS:
        event = Event(EventType.REFUSAL, Reason.NO_RECENT_RETURN, session_id=session_id)
        return Step(state, _answer("", Outcome.REFUSED, Reason.NO_RECENT_RETURN), events=(event,))
    event = Event(EventType.DAMAGE_REPORT, Reason.OK, session_id=session_id, barcode=last.barcode)
    decision = Decision(
        code="",
        outcome=Outcome.DAMAGE_REPORTED,
        reason=Reason.OK,
        message_key="damage_reported.ok",
        barcode=last.barcode,
        title=last.title,
    )
    return Step(replace(state, last_return=None), decision, events=(event,))


def _renew_button(state: SessionState, press: Press, ctx: Context) -> Step:
    """Renew a loan without the book in hand, where the school allows it."""
    session = state.session
    if session is None:
        return Step(state, _answer("", Outcome.IGNORED, Reason.NO_SESSION))
    state = replace(state, session=replace(session, last_activity=press.at.mono))
    reader = ctx.library.reader(session.reader.card) or replace(session.reader, active=False)
    barcode = press.barcode or ""
    copy = ctx.library.copy(barcode)
    loan = ctx.library.loan(barcode)
    reason = None
    if not ctx.policy.loans.renew_without_book:
        reason = Reason.RENEW_NEEDS_BOOK
    elif copy is None or loan is None or loan.card != reader.card:
        reason = Reason.UNKNOWN_COPY  # a button left from a screen the records have overtaken
    if reason is not None or copy is None:
        reason = reason or Reason.UNKNOWN_COPY
        event = Event(EventType.REFUSAL, reason, session.id, card=reader.card, barcode=barcode)
        decision = replace(_answer("", Outcome.REFUSED, reason), reader=reader.card)
        return Step(state, decision, events=(event,))
    local = local_time(press.at, ctx.policy.timezone)
    decision, events = renew(
        ctx.policy, reader, Resolved(copy, loan), "", local, session_id=session.id,
        in_hand=False, reservations=ctx.library.reservations(),
    )  # fmt: skip
    return Step(state, decision, events=events)


def _scan(state: SessionState, scan: Scan, ctx: Context) -> Step:
    shown = printable(scan.text)
    code = clean_code(scan.text)
    session = state.session
    session_id = session.id if session else None
    card = session.reader.card if session else None
    if code is None:
        event = Event(
            EventType.REFUSAL, Reason.UNREADABLE_CODE, session_id, card=card, code=kept_code(shown)
        )
        return Step(state, _answer(shown, Outcome.REFUSED, Reason.UNREADABLE_CODE), events=(event,))

    duplicate = (
        code == state.last_code
        and scan.at.mono - state.last_code_mono < ctx.policy.loans.duplicate_scan_seconds
    )
    # The window slides: a card left lying on the scanner keeps being ignored.
    state = replace(state, last_code=code, last_code_mono=scan.at.mono)
    if duplicate:
        return Step(state, _answer(code, Outcome.IGNORED, Reason.DUPLICATE_SCAN))
    if session is not None:
        state = replace(state, session=replace(session, last_activity=scan.at.mono))

    reader = ctx.library.reader(code) if scan.role is not DeviceRole.BOOK else None
    refused = turned_away(ctx.mode, reader)
    if refused is not None:
        who = reader.card if reader is not None else card
        event = Event(EventType.REFUSAL, refused, session_id, card=who, code=kept_code(code))
        return Step(state, _answer(code, Outcome.REFUSED, refused), events=(event,))
    if reader is not None:
        return _card(state, code, reader, scan.at, ctx)
    if scan.role is DeviceRole.CARD:
        event = Event(
            EventType.REFUSAL, Reason.UNKNOWN_READER, session_id, card=card, code=kept_code(code)
        )
        return Step(state, _answer(code, Outcome.REFUSED, Reason.UNKNOWN_READER), events=(event,))

    # The reader as the store has them now: a roster import may have changed them mid-visit.
    borrower = None
    if session is not None:
        borrower = ctx.library.reader(session.reader.card) or replace(session.reader, active=False)
    recent = state.recent_reader
    recent_card = (
        recent.card
        if recent is not None and scan.at.mono - recent.left_mono <= RECENT_READER_SECONDS
        else None
    )
    resolved = resolve_book(ctx.library, code, borrower=borrower, recent_card=recent_card)
    if isinstance(resolved, Reason):
        reason = resolved
        if reason is Reason.UNKNOWN_COPY and scan.role is DeviceRole.ANY and session is None:
            # Neither a card nor a book we know, and nothing says which it was meant to be.
            reason = Reason.UNKNOWN_CODE
        event = Event(EventType.REFUSAL, reason, session_id, card=card, code=kept_code(code))
        return Step(state, _answer(code, Outcome.REFUSED, reason), events=(event,))
    if session is None or borrower is None:
        return _return(state, code, resolved, scan.at, ctx)
    local = local_time(scan.at, ctx.policy.timezone)
    decision, events = borrow(
        ctx.policy, ctx.library, borrower, resolved, code, local, session_id=session.id
    )
    return Step(state, decision, events=events)


def _card(state: SessionState, code: str, reader: Reader, at: Instant, ctx: Context) -> Step:
    session = state.session
    if session is not None and session.reader.card == reader.card:
        decision = _greeting(reader, at, ctx, code, "session.continued")
        return Step(state, decision)
    ended: Decision | None = None
    end_events: tuple[Event, ...] = ()
    if session is not None:
        # Another child is at the door: the open session is closed before anything else.
        state, ended, end_events = _end(state, Reason.PREEMPTED, at.mono)
    if not reader.active:
        event = Event(
            EventType.REFUSAL, Reason.INACTIVE_READER, card=reader.card, code=kept_code(code)
        )
        decision = replace(
            _answer(code, Outcome.REFUSED, Reason.INACTIVE_READER), reader=reader.card
        )
        return Step(state, decision, ended, (*end_events, event))
    session_id = ctx.new_id()
    state = replace(state, session=OpenSession(session_id, reader, at.mono), last_return=None)
    event = Event(EventType.SESSION_STARTED, Reason.OK, session_id=session_id, card=reader.card)
    decision = _greeting(reader, at, ctx, code, "session.started")
    return Step(state, decision, ended, (*end_events, event))


def reading_target(policy: Policy, reader: Reader) -> int:
    """Books this reader is asked to read this term; 0 for none (the screen then shows no target).

    The target is for pupils (学生人均每学期借书不少于10本), not for teachers.
    """
    return (policy.books_per_term or 0) if reader.role is ReaderRole.STUDENT else 0


def _greeting(reader: Reader, at: Instant, ctx: Context, code: str, key: str) -> Decision:
    policy = ctx.policy
    read = ctx.library.checkouts_since(reader.card, policy.term_began)
    target = reading_target(policy, reader)
    on_loan = len(ctx.library.loans_of(reader.card))
    # Only this reader's own: a ready reservation is never told to anyone else.
    today = local_time(at, policy.timezone).date()
    ready = [
        copy.title
        for r in ctx.library.reservations()
        if r.card == reader.card and r.ready_barcode is not None and r.holds(r.ready_barcode, today)
        and (copy := ctx.library.copy(r.ready_barcode)) is not None
    ]  # fmt: skip
    recalling = policy.term.recalling(today)
    if key == "session.started":
        if not target:
            key += ".no_target"
        elif read >= target:
            key += ".target_met"
    return Decision(
        code=code,
        outcome=Outcome.SESSION_STARTED,
        reason=Reason.OK,
        message_key=key,
        reader=reader.card,
        given_name=reader.given_name,
        params={
            "read": read,
            "to_go": max(0, target - read),
            "on_loan": on_loan,
            **({"reserved": "\n".join(ready)} if ready else {}),  # titles, one a line
            # The term ends soon: bring every book back by its last day (期末催还书).
            **({"recall": policy.term.end.isoformat()} if on_loan and recalling else {}),
        },
    )


def _return(state: SessionState, code: str, resolved: Resolved, at: Instant, ctx: Context) -> Step:
    decision, events = accept_return(
        resolved,
        code,
        local_time(at, ctx.policy.timezone),
        policy=ctx.policy,
        reservations=ctx.library.reservations(),
    )
    last = LastReturn(resolved.copy.barcode, resolved.copy.title, at.mono)
    return Step(replace(state, last_return=last), decision, events=events)


def _answer(code: str, outcome: Outcome, reason: Reason) -> Decision:
    return Decision(code=code, outcome=outcome, reason=reason, message_key=f"{outcome}.{reason}")
