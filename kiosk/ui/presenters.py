"""Pure presenters: a Decision and plain library facts in, the values a screen shows out.

Every reason the engine can give has a picture and a sentence in each language (a test walks
``Reason``). Nothing here reads the store or imports Kivy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from kiosk.core.decisions import Decision, Flag, Outcome, Reason
from kiosk.i18n import format_day, say
from kiosk.ui.views import (
    AdminView,
    Answer,
    FaultView,
    HelperView,
    IdleView,
    LoanLine,
    Mode,
    PinView,
    ReaderLine,
    ReturnView,
    SessionView,
    SummaryView,
    Tone,
)
from kiosk.ui.words import text

# The picture for each reason (kiosk/ui/screens/picture.py draws them): one per kind of trouble,
# so a child learns them. Covers every Reason; a test fails if one is added without a picture.
PICTURES: dict[Reason, str] = {
    Reason.OK: "tick",
    Reason.UNKNOWN_READER: "card",
    Reason.INACTIVE_READER: "card",
    Reason.UNKNOWN_CODE: "card",
    Reason.UNKNOWN_COPY: "book",
    Reason.WITHDRAWN_COPY: "book",
    Reason.USE_LIBRARY_BARCODE: "barcode",
    Reason.NOT_FOR_LOAN: "reading_room",
    Reason.ALREADY_ON_LOAN_TO_YOU: "yours",
    Reason.OUTSIDE_WINDOW: "clock",
    Reason.OUTSIDE_TERM: "clock",
    Reason.OVERDUE_BLOCK: "return_first",
    Reason.LIMIT_REACHED: "return_first",
    Reason.UNREADABLE_CODE: "scan_again",
    Reason.NO_RECENT_RETURN: "book",
    Reason.DUPLICATE_SCAN: "scan_again",
    Reason.NO_SESSION: "card",
    Reason.FINISHED: "wave",
    Reason.IDLE_TIMEOUT: "wave",
    Reason.PREEMPTED: "wave",
    Reason.RESTART: "wave",
    Reason.SHUTDOWN: "wave",
}
MODE_KEYS = {
    Mode.NORMAL: "ui.admin.mode_normal",
    Mode.RETURNS_ONLY: "ui.admin.mode_returns_only",
    Mode.CLOSED: "ui.admin.mode_closed",
}


def due_text(due: date, language: str) -> str:
    return text("ui.session.due", language, due=format_day(due, language))


def answer(decision: Decision, language: str) -> Answer:
    """What a child sees for one decision. Late returns are thanked, never scolded or charged."""
    if decision.outcome is Outcome.REFUSED:
        tone = Tone.REFUSED
    elif decision.outcome is Outcome.IGNORED:
        tone = Tone.INFO
    else:
        tone = Tone.OK
    picture = PICTURES.get(decision.reason, "card")
    sentence = say(decision, language)
    if decision.outcome is Outcome.RETURNED and Flag.LATE in decision.flags:
        sentence = text("ui.return.late", language)
    if decision.outcome is Outcome.SESSION_ENDED:
        tone, sentence = Tone.INFO, text("ui.goodbye", language)  # no name once they have gone
    lent = decision.outcome is Outcome.BORROWED and decision.due is not None
    due = due_text(decision.due, language) if lent and decision.due else ""
    return Answer(tone, picture, sentence, decision.title or "", due)


def notice(key: str, picture: str, language: str) -> Answer:
    """An answer the kiosk gives by itself (returns-only mode, a scan that did not go through)."""
    return Answer(Tone.INFO, picture, text(key, language))


@dataclass(frozen=True)
class Progress:
    read: int
    to_go: int
    target: int


def progress_line(p: Progress, language: str) -> str:
    if not p.target:
        return text("ui.session.progress_no_target", language, read=p.read)
    if p.to_go <= 0:
        return text("ui.session.progress_met", language, read=p.read)
    return text("ui.session.progress", language, read=p.read, to_go=p.to_go)


def loan_lines(
    loans: Iterable[tuple[str, date]], today: date, language: str
) -> tuple[LoanLine, ...]:
    """(title, due) pairs as lines; overdue ones marked, kindly."""
    lines = []
    for title, due in loans:
        overdue = due < today
        when = text("ui.session.overdue", language) if overdue else due_text(due, language)
        lines.append(LoanLine(title, when, overdue))
    return tuple(lines)


def session_view(
    *,
    greeting: Decision,
    progress: Progress,
    loans: tuple[LoanLine, ...],
    visit: Sequence[Decision],
    language: str,
    idle_seconds: float,
    last_activity: float,
) -> SessionView:
    answers = tuple(answer(d, language) for d in reversed(visit))
    prompt = Answer(Tone.INFO, "book", "", title=text("ui.session.scan_book", language))
    return SessionView(
        greeting=text("ui.session.hello", language, name=greeting.given_name or ""),
        progress=progress_line(progress, language),
        loans_title=text("ui.session.on_loan", language),
        loans=loans,
        no_loans=text("ui.session.no_loans", language),
        visit_title=text("ui.session.this_visit", language),
        visit=answers,
        # Before the first book the biggest thing is what to do next.
        answer=answers[0] if answers else prompt,
        prompt=text("ui.session.scan_book", language),
        done_button=text("ui.session.done", language),
        language_button=text("ui.language_button", language),
        idle_seconds=idle_seconds,
        last_activity=last_activity,
        language=language,
    )


def countdown(view: SessionView, now: float) -> tuple[str, float]:
    """The countdown line and the share of time left (1.0 to 0.0) at monotonic ``now``."""
    left = max(0.0, view.idle_seconds - (now - view.last_activity))
    seconds = int(left + 0.999)
    share = left / view.idle_seconds if view.idle_seconds else 0.0
    return text("ui.session.countdown", view.language, seconds=seconds), share


def return_view(
    decision: Decision, language: str, *, damage_open: bool, closes_at: float
) -> ReturnView:
    shown = answer(decision, language)
    if decision.outcome is Outcome.DAMAGE_REPORTED:
        shown = Answer(Tone.OK, "tick", say(decision, language), decision.title or "")
    return ReturnView(
        title=text("ui.return.title", language),
        answer=shown,
        damage_button=text("ui.return.damaged", language),
        damage_open=damage_open,
        closes_at=closes_at,
    )


def summary_view(
    name: str, borrowed: tuple[LoanLine, ...], language: str, closes_at: float
) -> SummaryView:
    return SummaryView(
        title=text("ui.summary.title", language),
        goodbye=text("ui.summary.goodbye", language, name=name),
        borrowed=borrowed,
        nothing=text("ui.summary.nothing", language),
        closes_at=closes_at,
    )


def idle_view(
    *,
    library: str,
    window_now: str,
    window_next: str,
    arrivals: Sequence[str],
    best_class: str,
    mode: Mode,
    language: str,
    notice: Answer | None = None,
) -> IdleView:
    mode_line = text("ui.idle.returns_only", language) if mode is Mode.RETURNS_ONLY else ""
    # The biggest line says what can be done now: tap a card, only return, or nothing.
    prompt = {
        Mode.NORMAL: text("ui.idle.prompt", language),
        Mode.RETURNS_ONLY: text("ui.idle.returns_prompt", language),
        Mode.CLOSED: text("ui.idle.closed", language),
    }[mode]
    hint = text("ui.idle.return_hint", language) if mode is Mode.NORMAL else ""
    return IdleView(
        library=library,
        prompt=prompt,
        hint=hint,
        window_now=window_now,
        window_next=window_next,
        arrivals_title=text("ui.idle.new_arrivals", language),
        arrivals=tuple(arrivals),
        best_class=best_class,
        language_button=text("ui.language_button", language),
        mode=mode,
        mode_line=mode_line,
        notice=notice,
        picture={Mode.NORMAL: "card", Mode.RETURNS_ONLY: "book", Mode.CLOSED: "clock"}[mode],
    )


def reader_lines(
    readers: Iterable[tuple[str, str | None, str | None]], language: str, *, with_codes: bool = True
) -> tuple[ReaderLine, ...]:
    """(name, problem reason or None, last code read or None) per reader."""
    lines = []
    for name, problem, last in readers:
        if problem is None:
            shown = last if last is not None else text("ui.admin.reader_nothing", language)
            key = "ui.admin.reader_ok" if with_codes else "ui.helper.reader_ok"
            lines.append(ReaderLine(name, True, text(key, language, name=name, last=shown)))
        else:
            reason = reader_problem(problem, language)
            lines.append(
                ReaderLine(
                    name, False, text("ui.admin.reader_bad", language, name=name, reason=reason)
                )
            )
    return tuple(lines)


def reader_problem(reason: str, language: str) -> str:
    key = {
        "disconnected": "ui.reader.disconnected",
        "not_found": "ui.reader.not_found",
        "busy": "ui.reader.busy",
        "permission_denied": "ui.reader.permission_denied",
        "waiting": "ui.reader.waiting",
    }.get(reason, "ui.reader.failed")
    return text(key, language)


def mode_name(mode: Mode, language: str) -> str:
    return text(MODE_KEYS[mode], language)


def pin_view(entered: int, message: str, language: str) -> PinView:
    return PinView(
        title=text("ui.admin.pin_title", language),
        entered=entered,
        message=message,
        ok=text("ui.admin.ok", language),
        clear=text("ui.admin.clear", language),
        back=text("ui.admin.back", language),
    )


@dataclass(frozen=True)
class MachineState:
    """What the admin screen reports about the kiosk itself."""

    pending_events: int  # journal events the server has not acknowledged yet
    last_sync: str | None
    network_up: bool
    clock_state: str  # synced, from_server (the server told the sync worker), unsynced
    now: str
    sync_problem: str | None = None  # kiosk.store.SyncProblem's value, from the sync worker


def admin_view(
    machine: MachineState, readers: tuple[ReaderLine, ...], mode: Mode, language: str
) -> AdminView:
    clock_key = f"ui.admin.clock_{machine.clock_state}"
    sync = text(
        "ui.admin.sync",
        language,
        pending=machine.pending_events,
        last=machine.last_sync or text("ui.admin.never", language),
    )
    if machine.sync_problem:
        sync += " · " + text(f"ui.admin.sync_problem.{machine.sync_problem}", language)
    return AdminView(
        title=text("ui.admin.title", language),
        sync=sync,
        network=text(
            "ui.admin.network_up" if machine.network_up else "ui.admin.network_down", language
        ),
        clock=text(clock_key, language, now=machine.now),
        readers=readers,
        test_hint=text("ui.admin.test_hint", language),
        mode=mode,
        mode_line=text("ui.admin.mode", language, mode=mode_name(mode, language)),
        mode_buttons=tuple((m, mode_name(m, language)) for m in Mode),
        language=text("ui.admin.language", language),
        restart=text("ui.admin.restart", language),
        leave=text("ui.admin.leave", language),
        back=text("ui.admin.back", language),
    )


def helper_view(readers: tuple[ReaderLine, ...], mode: Mode, language: str) -> HelperView:
    returns_only = mode is Mode.RETURNS_ONLY
    return HelperView(
        title=text("ui.helper.title", language),
        readers=readers,
        mode_line=text("ui.admin.mode", language, mode=mode_name(mode, language)),
        toggle=text("ui.helper.returns_off" if returns_only else "ui.helper.returns_on", language),
        back=text("ui.admin.back", language),
    )


def fault_view(details: Sequence[str], language: str) -> FaultView:
    return FaultView(
        title=text("ui.fault.title", language),
        details=tuple(details),
        retrying=text("ui.fault.retrying", language),
    )
