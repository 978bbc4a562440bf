"""Pure presenters: the desk's facts in (``kiosk.desk.facts``), the values a screen shows out.

Every reason the engine can give has a picture and a sentence in each language (a test walks
``Reason``). Nothing here reads the store or imports Kivy; :func:`present` is the one way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from kiosk.core.decisions import Decision, Flag, Outcome, Reason
from kiosk.core.modes import DoorMode
from kiosk.core.rules import LimitRule
from kiosk.desk.facts import (
    AdminFacts,
    Facts,
    FaultFacts,
    HelperFacts,
    IdleFacts,
    LoanFacts,
    MachineState,
    Notice,
    PinFacts,
    ReceiptFacts,
    ReturnFacts,
    ScannerFacts,
    SessionFacts,
)
from kiosk.desk.pin_pad import PinAnswer, PinOutcome
from kiosk.i18n import format_day, say
from kiosk.ui import board_lines
from kiosk.ui.views import (
    AdminView,
    FaultView,
    HelperView,
    IdleView,
    LoanLine,
    PinView,
    Reply,
    ReturnView,
    ScannerLine,
    SessionView,
    SummaryView,
    Tone,
    View,
)
from kiosk.ui.words import grade_label, text

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
    Reason.RENEWALS_USED: "return_first",
    Reason.RENEW_OVERDUE: "return_first",
    Reason.RENEWAL_NOT_LATER: "clock",
    Reason.RESERVED_FOR_OTHER: "return_first",
    Reason.RENEW_NEEDS_BOOK: "book",
    Reason.HELD_FOR_OTHER: "reserved",
    Reason.UNREADABLE_CODE: "scan_again",
    Reason.NO_RECENT_RETURN: "book",
    Reason.RETURNS_ONLY: "clock",
    Reason.CLOSED: "clock",
    Reason.DUPLICATE_SCAN: "scan_again",
    Reason.NO_SESSION: "card",
    Reason.FINISHED: "wave",
    Reason.IDLE_TIMEOUT: "wave",
    Reason.PREEMPTED: "wave",
    Reason.RESTART: "wave",
    Reason.SHUTDOWN: "wave",
}
MODE_KEYS = {
    DoorMode.NORMAL: "ui.admin.mode_normal",
    DoorMode.RETURNS_ONLY: "ui.admin.mode_returns_only",
    DoorMode.CLOSED: "ui.admin.mode_closed",
}
MODE_PICTURES = {DoorMode.NORMAL: "card", DoorMode.RETURNS_ONLY: "book", DoorMode.CLOSED: "clock"}
# What the kiosk says by itself: (sentence, picture).
NOTICES = {Notice.UNREAD: ("ui.notice.unread", "scan_again")}
# Refusals that are news rather than trouble (the librarian chose them): drawn as information.
INFORMATION = {Reason.RETURNS_ONLY, Reason.CLOSED}


def due_text(due: date, language: str) -> str:
    return text("ui.session.due", language, due=format_day(due, language))


def answer(decision: Decision, language: str) -> Reply:
    """What a child sees for one decision. Late returns are thanked, never scolded or charged."""
    if decision.outcome is Outcome.REFUSED and decision.reason not in INFORMATION:
        tone = Tone.REFUSED
    elif decision.outcome in (Outcome.IGNORED, Outcome.REFUSED):
        tone = Tone.INFO
    else:
        tone = Tone.OK
    picture = PICTURES.get(decision.reason, "card")
    sentence = say(decision, language)
    in_visit = decision.message_key == "returned.in_visit"  # it says what to do next
    if decision.outcome is Outcome.RETURNED and Flag.LATE in decision.flags and not in_visit:
        sentence = text("ui.return.late", language)
    if decision.outcome is Outcome.SESSION_ENDED:
        tone, sentence = Tone.INFO, text("ui.goodbye", language)  # no name once they have gone
    if decision.outcome is Outcome.RETURNED and Flag.RESERVED in decision.flags:
        # Unmistakable: its own picture and colour, so the book goes on the reservations shelf.
        tone, picture = Tone.INFO, "reserved"
    lent = decision.outcome in (Outcome.BORROWED, Outcome.RENEWED) and decision.due is not None
    due = due_text(decision.due, language) if lent and decision.due else ""
    return Reply(tone, picture, sentence, decision.title or "", due)


def notice(said: Notice, language: str) -> Reply:
    """An answer the kiosk gives by itself, not the engine (a scan the scanner could not read)."""
    key, picture = NOTICES[said]
    return Reply(Tone.INFO, picture, text(key, language))


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


def held_lines(
    loans: Iterable[LoanFacts], today: date, language: str, *, renew_button: bool
) -> tuple[LoanLine, ...]:
    """The reader's books with their due dates, and whether each can be renewed now."""
    lines = []
    for loan in loans:
        line = loan_lines([(loan.title, loan.due)], today, language)[0]
        renewable = isinstance(loan.renewal, date)
        renew = text("ui.session.renew_yes" if renewable else "ui.session.renew_no", language)
        target = f"renew:{loan.barcode}" if renew_button and renewable else ""
        lines.append(replace(line, renew=renew, renewable=renewable, renew_target=target))
    return tuple(lines)


def room_line(facts: SessionFacts) -> tuple[str, bool]:
    """What the reader may still borrow now and under which rule, or the way forward; and
    whether borrowing is blocked."""
    room, language = facts.room, facts.language
    if room is None:
        return "", False
    if room.blocked is Reason.OVERDUE_BLOCK:
        titles = {loan.barcode: loan.title for loan in facts.loans}
        separator = text("ui.list_separator", language)
        quoted = "“{}”" if language == "en" else "《{}》"
        names = separator.join(
            quoted.format(titles.get(x.barcode, x.barcode)) for x in room.overdue
        )
        return text("ui.session.blocked_overdue", language, titles=names), True
    limit = room.limit
    if room.blocked is Reason.LIMIT_REACHED and limit is not None:
        return text("ui.session.left_full", language, limit=limit.books), True
    if room.blocked is not None or limit is None:
        why = text(f"refused.{room.blocked}", language)
        return text("ui.session.blocked_reason", language, why=why), True
    values: dict[str, object] = {"left": room.left, "limit": limit.books}
    if limit.rule is LimitRule.WINDOW:
        return text("ui.session.left_window", language, window=limit.window, **values), False
    if limit.rule is LimitRule.TEACHER:
        return text("ui.session.left_teacher", language, **values), False
    if facts.grade is None:
        return text("ui.session.left_default", language, **values), False
    grade = grade_label(facts.grade, language)
    return text("ui.session.left_grade", language, grade=grade, **values), False


def recall_text(greeting: Decision, language: str) -> str:
    """ "Bring all your books back by 22 Jan", for a reader holding books near the term's end."""
    last_day = str(greeting.params.get("recall", ""))
    if not last_day:
        return ""
    day = format_day(date.fromisoformat(last_day), language)
    return text("ui.session.recall", language, day=day)


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
    prompt = Reply(Tone.INFO, "book", "", title=text("ui.session.scan_book", language))
    reserved = str(greeting.params.get("reserved", ""))
    if reserved:  # the reader's own ready reservation, told before anything else
        quoted = "“{}”" if language == "en" else "《{}》"
        titles = text("ui.list_separator", language).join(
            quoted.format(t) for t in reserved.splitlines()
        )
        sentence = text("ui.session.reserved", language, titles=titles)
        prompt = Reply(
            Tone.INFO, "reserved", sentence, title=text("ui.session.scan_book", language)
        )
    elif recall := recall_text(greeting, language):  # the term ends soon (期末催还书)
        prompt = Reply(Tone.INFO, "book", recall, title=text("ui.session.scan_book", language))
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
        shown = Reply(Tone.OK, "tick", say(decision, language), decision.title or "")
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
    mode: DoorMode,
    language: str,
    notice: Reply | None = None,
) -> IdleView:
    mode_line = text("ui.idle.returns_only", language) if mode is DoorMode.RETURNS_ONLY else ""
    # The biggest line says what can be done now: tap a card, only return, or nothing.
    prompt = {
        DoorMode.NORMAL: text("ui.idle.prompt", language),
        DoorMode.RETURNS_ONLY: text("ui.idle.returns_prompt", language),
        DoorMode.CLOSED: text("ui.idle.closed", language),
    }[mode]
    hint = text("ui.idle.return_hint", language) if mode is DoorMode.NORMAL else ""
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
        picture=MODE_PICTURES[mode],
    )


def scanner_lines(
    scanners: Iterable[ScannerFacts], language: str, *, with_codes: bool = True
) -> tuple[ScannerLine, ...]:
    """Each scanner: working, with the last code it read (the librarian's screen), or why not."""
    lines = []
    for scanner in scanners:
        name, problem, last = scanner.name, scanner.problem, scanner.last_read
        if problem is None:
            shown = last if last is not None else text("ui.admin.scanner_nothing", language)
            key = "ui.admin.scanner_ok" if with_codes else "ui.helper.scanner_ok"
            lines.append(ScannerLine(name, True, text(key, language, name=name, last=shown)))
        else:
            reason = scanner_problem(problem, language)
            lines.append(
                ScannerLine(
                    name, False, text("ui.admin.scanner_bad", language, name=name, reason=reason)
                )
            )
    return tuple(lines)


def scanner_problem(reason: str, language: str) -> str:
    key = {
        "disconnected": "ui.scanner.disconnected",
        "not_found": "ui.scanner.not_found",
        "busy": "ui.scanner.busy",
        "permission_denied": "ui.scanner.permission_denied",
        "waiting": "ui.scanner.waiting",
    }.get(reason, "ui.scanner.failed")
    return text(key, language)


def mode_name(mode: DoorMode, language: str) -> str:
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


def admin_view(
    machine: MachineState, scanners: tuple[ScannerLine, ...], mode: DoorMode, language: str
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
        scanners=scanners,
        test_hint=text("ui.admin.test_hint", language),
        mode=mode,
        mode_line=text("ui.admin.mode", language, mode=mode_name(mode, language)),
        mode_buttons=tuple((m, mode_name(m, language)) for m in DoorMode),
        language=text("ui.admin.language", language),
        restart=text("ui.admin.restart", language),
        leave=text("ui.admin.leave", language),
        back=text("ui.admin.back", language),
    )


def helper_view(scanners: tuple[ScannerLine, ...], mode: DoorMode, language: str) -> HelperView:
    returns_only = mode is DoorMode.RETURNS_ONLY
    return HelperView(
        title=text("ui.helper.title", language),
        scanners=scanners,
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


def pin_message(answer: PinAnswer | None, language: str) -> str:
    if answer is None or answer.outcome in (PinOutcome.TYPING, PinOutcome.OPEN):
        return ""
    if answer.outcome is PinOutcome.NO_PIN:
        return text("ui.admin.pin_none", language)
    if answer.outcome is PinOutcome.WRONG:
        return text("ui.admin.pin_wrong", language, left=answer.tries_left)
    return text("ui.admin.pin_locked", language, seconds=answer.locked_seconds)


def fault_lines(facts: FaultFacts) -> list[str]:
    language = facts.language
    lines = [
        text("ui.fault.scanner", language, name=name, reason=scanner_problem(reason, language))
        for name, reason in facts.scanners
    ]
    if facts.database is not None:
        lines.append(text("ui.fault.database", language, detail=facts.database))
    return lines


def idle(facts: IdleFacts) -> IdleView:
    language = facts.language
    # In returns-only or closed mode the timetable would promise what is not on offer.
    normal = facts.mode is DoorMode.NORMAL
    said = facts.notice
    shown = None
    if isinstance(said, Notice):
        shown = notice(said, language)
    elif said is not None:
        shown = answer(said, language)
    return idle_view(
        library=facts.library,
        window_now=board_lines.window_now(facts.open_windows, language) if normal else "",
        window_next=(
            board_lines.window_next(facts.next_window, facts.local, language) if normal else ""
        ),
        arrivals=facts.arrivals,
        best_class=board_lines.best_class_line(facts.best_class, language),
        mode=facts.mode,
        language=language,
        notice=shown,
    )


def session(facts: SessionFacts) -> SessionView:
    language = facts.language
    view = session_view(
        greeting=facts.greeting,
        progress=Progress(facts.read, facts.to_go, facts.target),
        loans=held_lines(facts.loans, facts.today, language, renew_button=facts.renew_button),
        visit=facts.answers,
        language=language,
        idle_seconds=facts.idle_seconds,
        last_activity=facts.last_activity,
    )
    line, blocked = room_line(facts)
    view = replace(
        view,
        room=line,
        blocked=blocked,
        renew_button=text("ui.session.renew_button", language) if facts.renew_button else "",
    )
    if facts.unread:  # the big answer says "scan again"; this visit's list is unchanged
        return replace(view, answer=notice(Notice.UNREAD, language))
    return view


def present(facts: Facts) -> View:
    """What a screen shows for the desk's ``facts``."""
    if isinstance(facts, IdleFacts):
        return idle(facts)
    if isinstance(facts, SessionFacts):
        return session(facts)
    if isinstance(facts, ReturnFacts):
        return return_view(
            facts.decision,
            facts.language,
            damage_open=facts.damage_open,
            closes_at=facts.closes_at,
        )
    if isinstance(facts, ReceiptFacts):
        borrowed = loan_lines(facts.borrowed, facts.today, facts.language)
        return summary_view(facts.name, borrowed, facts.language, facts.closes_at)
    if isinstance(facts, PinFacts):
        message = pin_message(facts.answer, facts.language)
        return pin_view(facts.entered, message, facts.language)
    if isinstance(facts, AdminFacts):
        lines = scanner_lines(facts.scanners, facts.language)
        return admin_view(facts.machine, lines, facts.mode, facts.language)
    if isinstance(facts, HelperFacts):
        lines = scanner_lines(facts.scanners, facts.language, with_codes=False)
        return helper_view(lines, facts.mode, facts.language)
    return fault_view(fault_lines(facts), facts.language)
