"""The kiosk's front desk: one input in, the door's decision, the screen that shows it out.

Runs on the door's thread (it owns the Store). The rules are the engine's; what this adds is
the kiosk's own state: which screen is up and until when, the modes a librarian or a helper
sets, the admin PIN, which readers are missing. It never imports Kivy, so tests drive it with
plain values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from hardware import DeviceRole as ReaderRole
from hardware import ReaderProblem, ReaderReady, ScanEvent
from kiosk.clocks import Clock
from kiosk.config import KioskConfig
from kiosk.core.decisions import Decision, Outcome, Reason
from kiosk.core.models import ClassName
from kiosk.core.models import ReaderRole as PersonRole
from kiosk.core.session import Button, DeviceRole
from kiosk.door import Door, Handled
from kiosk.store import Store
from kiosk.ui import board, presenters
from kiosk.ui.inputs import RESTART, Exit, Item, Tap, Update
from kiosk.ui.journal_facts import first_seq_since, last_seq
from kiosk.ui.pin_pad import PinOutcome, PinPad
from kiosk.ui.views import (
    AdminView,
    Answer,
    FaultView,
    HelperView,
    IdleView,
    Mode,
    PinView,
    ReturnView,
    SessionView,
    SummaryView,
    View,
)
from kiosk.ui.words import text

logger = logging.getLogger(__name__)

# Reader problems that mean the reader is gone (a fault screen) rather than one bad read.
LOST = {
    "disconnected",
    "not_found",
    "ambiguous",
    "busy",
    "permission_denied",
    "open_failed",
    "reader_failed",
    "bad_recording",
}
# One bad read: the child is asked to scan again. (RDM6300 noise and bad frames are not shown:
# a card near the coil produces them all the time.)
UNREAD = {"too_long", "garbled", "incomplete", "events_dropped", "wrong_layout", "unexpected_code"}
NOTICE_SECONDS = 6.0  # a refusal with no session stays on the idle screen this long
STAFF_SECONDS = 120.0  # admin and helper screens close by themselves after this long untouched
ROLES = {ReaderRole.CARD: DeviceRole.CARD, ReaderRole.BOOK: DeviceRole.BOOK}
SOUND_OF = {Outcome.REFUSED: "refusal", Outcome.IGNORED: None}


@dataclass
class _Visit:
    greeting: Decision
    read: int
    to_go: int
    target: int
    answers: list[Decision]


class FrontDesk:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: KioskConfig,
        reader_names: Sequence[str],
        *,
        machine: Callable[[], bool] = lambda: False,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.store, self.clock, self.config = store, clock, config
        self.policy = store.policy()
        if config.kiosk_id and config.kiosk_id != store.kiosk_id:
            raise KioskMismatchError(
                f"{store.path}: the database of kiosk {store.kiosk_id!r}, "
                f"but kiosk.id says {config.kiosk_id!r}"
            )
        kwargs = {"new_id": new_id} if new_id is not None else {}
        self.door = Door(store, clock, policy=self.policy, **kwargs)
        self._zone = ZoneInfo(self.policy.timezone)
        self._machine = machine  # is the network up, for the admin screen
        self.default_language = config.language
        self.language = config.language
        self.mode = Mode.NORMAL
        self.readers = list(reader_names)
        self.problems: dict[str, str] = {}
        self.last_read: dict[str, str] = {}
        self.visit: _Visit | None = None
        self.until: float | None = None  # when the screen on show closes by itself
        self.pin = PinPad(config.pin_hash)
        self._notice: Answer | None = None
        self._idle_minute = ""
        self.last_seq = last_seq(store)
        self.tally = board.WeeklyTally(self._class_of)
        self._start_week(self._local())
        self.arrivals = board.ListedArrivals(config.new_arrivals, self._title_of)
        self.view: View = self._idle()

    # -- the one entry point -----------------------------------------------------------------

    def handle(self, item: Item) -> Update | Exit | None:
        """The screen after ``item``; None when nothing on it changes."""
        if isinstance(item, ScanEvent):
            return self._scan(item)
        if isinstance(item, ReaderProblem):
            return self._problem(item)
        if isinstance(item, ReaderReady):
            return self._ready(item.source)
        if isinstance(item, Tap):
            return self._tap(item)
        return self._tick()

    def close(self) -> None:
        """The kiosk stopping: an open session ends through the engine's one way out."""
        self._record(self.door.close(Reason.SHUTDOWN))

    # -- readers ---------------------------------------------------------------------------

    def _scan(self, event: ScanEvent) -> Update | None:
        self.last_read[event.source] = event.text
        role = ROLES.get(event.role, DeviceRole.ANY)
        if isinstance(self.view, AdminView | HelperView):
            self.until = self._now() + STAFF_SECONDS
            return self._show(self._staff_view(type(self.view)))  # a live reader test
        if role is not DeviceRole.BOOK and event.text in self.config.librarian_cards:
            logger.info("admin screen opened with a librarian card")
            return self._open_staff(AdminView)
        if role is not DeviceRole.BOOK and event.text in self.config.helper_cards:
            logger.info("helper screen opened with a helper card")
            return self._open_staff(HelperView)
        if self.problems:
            # Out of order: nothing is decided that the child cannot see.
            logger.info("a scan was ignored while the fault screen is up")
            return None
        if self.mode is Mode.CLOSED or (
            self.mode is Mode.RETURNS_ONLY
            and role is not DeviceRole.BOOK
            and self.store.library.reader(event.text) is not None
        ):
            key = "ui.notice.closed" if self.mode is Mode.CLOSED else "ui.notice.returns_only"
            return self._idle_notice(presenters.notice(key, "clock", self.language), "refusal")
        handled = self.door.scan(event.text, role, mono=event.time)
        update = self._after(handled)
        return replace(update, scan_time=event.time) if update else None

    def _problem(self, problem: ReaderProblem) -> Update | None:
        reason = problem.reason.value
        # The message may quote what was read (a card number): only at debug level.
        logger.warning("reader %s: %s", problem.source, reason)
        logger.debug("reader %s: %s", problem.source, problem.message)
        if reason in LOST:
            self.problems[problem.source] = reason
            if isinstance(self.view, AdminView | HelperView):
                return self._show(self._staff_view(type(self.view)))
            return self._show(self._fault(), "attention")
        if reason not in UNREAD or self.problems or isinstance(self.view, AdminView | HelperView):
            return None
        unread = presenters.notice("ui.notice.unread", "scan_again", self.language)
        if isinstance(self.view, SessionView):
            return self._show(replace(self.view, answer=unread), "refusal")
        return self._idle_notice(unread, "refusal")

    def _ready(self, source: str) -> Update | None:
        was_out = self.problems.pop(source, None) is not None
        if isinstance(self.view, AdminView | HelperView):
            return self._show(self._staff_view(type(self.view)))
        if not was_out or self.problems:
            return None
        logger.info("reader %s is back", source)
        return self._show(self._current())

    # -- the screen's buttons --------------------------------------------------------------

    def _tap(self, tap: Tap) -> Update | Exit | None:
        target, view = tap.target, self.view
        if isinstance(view, AdminView | HelperView | PinView):
            self.until = self._now() + STAFF_SECONDS
            return self._staff_tap(target)
        if target == "done" and isinstance(view, SessionView):
            return self._after(self.door.press(Button.DONE, mono=tap.mono))
        if target == "damaged" and isinstance(view, ReturnView) and view.damage_open:
            return self._after(self.door.press(Button.DAMAGED, mono=tap.mono))
        if target == "language" and isinstance(view, IdleView | SessionView):
            self.language = "en" if self.language == "zh_CN" else "zh_CN"
            return self._show(self._current())
        if target == "admin" and isinstance(view, IdleView | FaultView):
            self.pin.clear()
            self.until = self._now() + STAFF_SECONDS
            return self._show(self._pin_view())
        if target == "touch":
            if isinstance(view, SessionView):
                self.door.touch(mono=tap.mono)
                return self._show(self._session())
            if isinstance(view, SummaryView):
                return self._show(self._idle())  # the child has seen the receipt
        return None

    def _staff_tap(self, target: str) -> Update | Exit | None:
        view = self.view
        if target == "back":
            return self._leave_staff()
        if isinstance(view, PinView):
            return self._pin_tap(target)
        if target.startswith("mode:") and isinstance(view, AdminView):
            self.mode = Mode(target.removeprefix("mode:"))
            logger.info("mode set to %s by the librarian", self.mode.value)
        elif target == "returns_only" and isinstance(view, HelperView):
            normal = self.mode is Mode.RETURNS_ONLY
            self.mode = Mode.NORMAL if normal else Mode.RETURNS_ONLY
            logger.info("mode set to %s by a helper", self.mode.value)
        elif target == "default_language" and isinstance(view, AdminView):
            self.default_language = "en" if self.default_language == "zh_CN" else "zh_CN"
            self.language = self.default_language
        elif target in ("restart", "leave") and isinstance(view, AdminView):
            logger.info("the librarian chose %s", target)
            return Exit(RESTART if target == "restart" else 0)
        elif target != "touch":
            return None
        kind = HelperView if isinstance(view, HelperView) else AdminView
        return self._show(self._staff_view(kind))

    def _pin_tap(self, target: str) -> Update | None:
        answer = self.pin.press(target, self._now())
        if answer.outcome is PinOutcome.OPEN:
            return self._open_staff(AdminView)
        message = {
            PinOutcome.TYPING: "",
            PinOutcome.NO_PIN: text("ui.admin.pin_none", self.language),
            PinOutcome.WRONG: text("ui.admin.pin_wrong", self.language, left=answer.tries_left),
            PinOutcome.LOCKED: text(
                "ui.admin.pin_locked", self.language, seconds=answer.locked_seconds
            ),
        }[answer.outcome]
        return self._show(self._pin_view(message))

    def _open_staff(self, kind: type[AdminView] | type[HelperView]) -> Update:
        # Nobody else's books stay on screen behind the librarian: the session ends first.
        self._record(self.door.close(Reason.PREEMPTED))
        self.visit = None
        self.language = self.default_language
        self.until = self._now() + STAFF_SECONDS
        return self._show(self._staff_view(kind), "attention")

    def _leave_staff(self) -> Update:
        self.until = None
        return self._show(self._rest())

    # -- time ------------------------------------------------------------------------------

    def _tick(self) -> Update | None:
        handled = self.door.tick()
        if handled.ended is not None or handled.decision is not None:
            return self._after(handled)
        now = self._now()
        if self.until is not None and now >= self.until:
            self.until = None
            self._notice = None
            if isinstance(self.view, AdminView | HelperView | PinView):
                return self._leave_staff()
            return self._show(self._rest())
        if isinstance(self.view, IdleView) and self._minute() != self._idle_minute:
            return self._show(self._idle())  # the timetable lines move with the clock
        return None

    # -- after the engine decided ------------------------------------------------------------

    def _after(self, handled: Handled) -> Update | None:
        self._record(handled)
        decision = handled.decision
        if handled.ended is not None:
            self._ended()
        if decision is None:
            return self._show(self._rest()) if handled.ended is not None else None
        session_open = self.door.state.session is not None
        outcome = decision.outcome
        if outcome is Outcome.SESSION_STARTED:
            if decision.message_key != "session.continued" or self.visit is None:
                self._start_visit(decision)
            return self._show(self._session(), "success")
        if outcome is Outcome.SESSION_ENDED:
            return self._session_ended(decision)
        if outcome is Outcome.IGNORED:
            return None  # a double read or Done with no session: nothing changes
        if session_open and self.visit is not None:
            self.visit.answers.append(decision)
            if outcome is Outcome.BORROWED:
                self.visit.read += 1
                self.visit.to_go = max(0, self.visit.to_go - 1)
            return self._show(self._session(), SOUND_OF.get(outcome, "success"))
        if outcome in (Outcome.RETURNED, Outcome.DAMAGE_REPORTED):
            self.until = self._now() + self.config.screens.return_seconds
            view = presenters.return_view(
                decision,
                self.language,
                damage_open=outcome is Outcome.RETURNED,
                closes_at=self.until,
            )
            return self._show(view, "success")
        return self._idle_notice(presenters.answer(decision, self.language), "refusal")

    def _start_visit(self, greeting: Decision) -> None:
        read = int(greeting.params.get("read", 0))
        to_go = int(greeting.params.get("to_go", 0))
        target = read + to_go if not greeting.message_key.endswith("no_target") else 0
        reader = self.store.library.reader(greeting.reader or "")
        if reader is not None and reader.role is PersonRole.TEACHER:
            target = 0
        self.visit = _Visit(greeting, read, to_go, target, [])
        self._notice = None
        self.until = None

    def _session_ended(self, decision: Decision) -> Update:
        visit, language = self.visit, self.language  # the receipt in the child's language
        self._ended()
        if decision.reason is not Reason.FINISHED or visit is None:
            return self._show(self._rest())
        borrowed = tuple(
            presenters.loan_lines(
                [(d.title or "", d.due) for d in visit.answers if d.due is not None],
                self._local().date(),
                language,
            )
        )
        self.until = self._now() + self.config.screens.summary_seconds
        name = visit.greeting.given_name or ""
        return self._show(presenters.summary_view(name, borrowed, language, self.until))

    def _ended(self) -> None:
        self.visit = None
        self.until = None
        self.language = self.default_language

    def _record(self, handled: Handled) -> None:
        if handled.recorded:
            self.last_seq = handled.recorded[-1].seq
            self.tally.add(handled.recorded)

    # -- building views (on this thread: they read the store) -------------------------------

    def _show(self, view: View, sound: str | None = None) -> Update:
        self.view = view
        return Update(view, sound)

    def _rest(self) -> View:
        """The screen when nobody is at the door: idle, or the fault while a reader is out."""
        return self._fault() if self.problems else self._idle()

    def _current(self) -> View:
        if self.problems:
            return self._fault()
        if self.door.state.session is not None and self.visit is not None:
            return self._session()
        if isinstance(self.view, ReturnView | SummaryView):
            return self.view
        return self._idle()

    def _session(self) -> SessionView:
        visit = self.visit
        session = self.door.state.session
        assert visit is not None and session is not None
        today = self._local().date()
        loans = [
            (self._title_of(loan.barcode) or loan.barcode, loan.due)
            for loan in self.store.library.loans_of(session.reader.card)
        ]
        return presenters.session_view(
            greeting=visit.greeting,
            progress=presenters.Progress(visit.read, visit.to_go, visit.target),
            loans=presenters.loan_lines(loans, today, self.language),
            visit=visit.answers,
            language=self.language,
            idle_seconds=self.policy.idle_seconds,
            last_activity=session.last_activity,
        )

    def _idle(self) -> IdleView:
        local = self._local()
        if self.tally.since != board.week_start(local):
            self._start_week(local)
        self._idle_minute = self._minute()
        normal = self.mode is Mode.NORMAL
        return presenters.idle_view(
            library=self.policy.library_name,
            # In returns-only or closed mode the timetable would promise what is not on offer.
            window_now=board.window_now(self.policy, local, self.language) if normal else "",
            window_next=board.window_next(self.policy, local, self.language) if normal else "",
            arrivals=self.arrivals.titles(),
            best_class=board.best_class_line(self.tally.best(), self.language),
            mode=self.mode,
            language=self.language,
            notice=self._notice,
        )

    def _idle_notice(self, notice: Answer, sound: str) -> Update:
        self._notice = notice
        view = self._idle()
        self._notice = None
        self.until = self._now() + NOTICE_SECONDS
        return self._show(view, sound)

    def _fault(self) -> FaultView:
        details = [
            text(
                "ui.fault.reader",
                self.language,
                name=name,
                reason=presenters.reader_problem(reason, self.language),
            )
            for name, reason in sorted(self.problems.items())
        ]
        return presenters.fault_view(details, self.language)

    def _pin_view(self, message: str = "") -> PinView:
        return presenters.pin_view(len(self.pin.digits), message, self.language)

    def _staff_view(self, kind: type[AdminView] | type[HelperView]) -> AdminView | HelperView:
        lines = presenters.reader_lines(
            [(n, self.problems.get(n), self.last_read.get(n)) for n in self.readers],
            self.language,
        )
        if kind is HelperView:
            lines = presenters.reader_lines(
                [(n, self.problems.get(n), None) for n in self.readers],
                self.language,
                with_codes=False,
            )
            return presenters.helper_view(lines, self.mode, self.language)
        reading = self.clock.read()
        # What the sync worker wrote of itself (it shares this file).
        waiting, health = self.store.sync.status().events_waiting, self.store.sync.health()
        heard = health.server_clock
        clock_state = (
            "synced" if reading.synced
            else "from_server" if heard is not None and heard.boot_id == reading.boot_id
            else "unsynced"
        )  # fmt: skip
        last = health.last_success_at
        machine = presenters.MachineState(
            pending_events=waiting,
            last_sync=f"{last.astimezone(self._zone):%Y-%m-%d %H:%M}" if last else None,
            network_up=self._machine(),
            clock_state=clock_state,
            now=f"{reading.wall.astimezone(self._zone):%Y-%m-%d %H:%M}",
            sync_problem=health.problem_kind.value if health.problem_kind else None,
        )
        return presenters.admin_view(machine, lines, self.mode, self.language)

    # -- small facts ---------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.read().mono

    def _local(self) -> datetime:
        return self.clock.read().wall.astimezone(self._zone)

    def _minute(self) -> str:
        return f"{self._local():%Y-%m-%d %H:%M}{self.language}{self.mode}"

    def _title_of(self, barcode: str) -> str | None:
        copy = self.store.library.copy(barcode)
        return copy.title if copy is not None and copy.active else None

    def _class_of(self, card: str) -> ClassName | None:
        reader = self.store.library.reader(card)
        return reader.class_name if reader is not None else None

    def _start_week(self, local: datetime) -> None:
        since = board.week_start(local)
        self.tally.reset(since)
        self.tally.add(self.store.events(after_seq=first_seq_since(self.store, since) - 1))


class KioskMismatchError(Exception):
    """The configured kiosk id is not the database's: the wrong file is mounted."""
