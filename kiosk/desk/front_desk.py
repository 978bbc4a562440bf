"""The kiosk's front desk: one input in, the door's decision, the facts of the screen out.

Runs on the door's thread (it owns the Store). The rules are the engine's; what the desk adds is
the kiosk's own state: which screen is up and until when, whose visit it is, what the grown-ups
set (:mod:`kiosk.desk.staff`), which scanners are out (:mod:`kiosk.desk.scanners`). It never
imports Kivy, so tests drive it with plain values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from hardware import ScanEvent, ScannerProblem, ScannerReady, ScannerRole
from kiosk.clocks import Clock
from kiosk.config import KioskConfig
from kiosk.core.decisions import Decision, Flag, Outcome, Reason
from kiosk.core.models import ClassName
from kiosk.core.modes import DoorMode
from kiosk.core.policy import Policy
from kiosk.core.renewal import renewal_due
from kiosk.core.rules import room
from kiosk.core.session import Button, DeviceRole, reading_target
from kiosk.core.timetable import open_windows
from kiosk.desk import board
from kiosk.desk.facts import (
    AdminFacts,
    Facts,
    FaultFacts,
    HelperFacts,
    IdleFacts,
    LoanFacts,
    Notice,
    PinFacts,
    ReceiptFacts,
    ReturnFacts,
    SessionFacts,
)
from kiosk.desk.inputs import Exit, Item, Tap, Update
from kiosk.desk.journal_facts import first_seq_since
from kiosk.desk.scanners import Scanners
from kiosk.desk.staff import STAFF_SECONDS, Staff, StaffStep
from kiosk.desk.visit import Visit
from kiosk.door import Door, Handled
from kiosk.store import Store

logger = logging.getLogger(__name__)

NOTICE_SECONDS = 6.0  # a refusal with no session stays on the idle screen this long
# The one place a scanner's role (hardware) becomes the role of its scan for the engine (core).
ROLES = {
    ScannerRole.CARD: DeviceRole.CARD,
    ScannerRole.BOOK: DeviceRole.BOOK,
    ScannerRole.ANY: DeviceRole.ANY,
}
SOUND_OF = {Outcome.REFUSED: "refusal", Outcome.IGNORED: None}
STAFF_SCREENS = (PinFacts, AdminFacts, HelperFacts)


class FrontDesk:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: KioskConfig,
        scanners: Scanners,
        *,
        machine: Callable[[], bool] = lambda: False,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.store, self.clock, self.config = store, clock, config
        if config.kiosk_id and config.kiosk_id != store.kiosk_id:
            raise KioskMismatchError(
                f"{store.path}: the database of kiosk {store.kiosk_id!r}, "
                f"but kiosk.id says {config.kiosk_id!r}"
            )
        # The door owns the policy: it takes up what the sync worker saves, between visits, and
        # the screen reads the same one (the timetable, the countdown, the time zone).
        self.door = Door(store, clock, new_id=new_id) if new_id else Door(store, clock)
        self.scanners = scanners
        scanners.forget_reported()
        self.store.sync.keep_scanners(scanners.names)
        self._report_scanners()
        self.staff = Staff(config, self.door, clock, machine)
        self.language = config.language
        self.visit: Visit | None = None
        self.until: float | None = None  # when the screen on show closes by itself
        self._notice: Decision | Notice | None = None
        self._idle_minute: tuple[str, str, DoorMode, Policy] | None = None
        self.tally = board.WeeklyTally(self._class_of)
        self._start_week(self._local())
        self._paired = False  # the sync worker has pulled from a server at least once
        listed = board.ListedArrivals(config.new_arrivals, self._title_of)
        self.arrivals = board.PulledArrivals(self._pulled_arrivals, listed)
        self.shown: Facts = self._rest()

    @property
    def mode(self) -> DoorMode:
        return self.door.mode

    @property
    def policy(self) -> Policy:
        return self.door.policy

    # -- the one entry point -----------------------------------------------------------------

    def handle(self, item: Item) -> Update | Exit | None:
        """The screen after ``item``; None when nothing on it changes."""
        if isinstance(item, ScanEvent):
            return self._scan(item)
        if isinstance(item, ScannerProblem):
            return self._problem(item)
        if isinstance(item, ScannerReady):
            return self._ready(item.source)
        if isinstance(item, Tap):
            return self._tap(item)
        return self._tick()

    def close(self) -> None:
        """The kiosk stopping: an open session ends through the engine's one way out."""
        self._record(self.door.close(Reason.SHUTDOWN))

    # -- scanners --------------------------------------------------------------------------

    def _scan(self, event: ScanEvent) -> Update | None:
        self.scanners.read(event)
        role = ROLES[event.role]
        if isinstance(self.shown, AdminFacts | HelperFacts):
            self.until = self._now() + STAFF_SECONDS
            return self._show(self._staff(type(self.shown)))  # a live scanner test
        opens = self.staff.screen_for_card(event.text, role)
        if opens is not None:
            return self._open_staff(opens)
        if self.scanners.any_out:
            # Out of order: nothing is decided that the child cannot see.
            logger.info("a scan was ignored while the fault screen is up")
            return None
        handled = self.door.scan(event.text, role, mono=event.time)
        update = self._after(handled)
        return replace(update, scan_time=event.time) if update else None

    def _problem(self, problem: ScannerProblem) -> Update | None:
        # The message may quote what was read (a card number): only at debug level.
        logger.warning("scanner %s: %s", problem.source, problem.reason.value)
        logger.debug("scanner %s: %s", problem.source, problem.message)
        lost = self.scanners.lost(problem)
        self._report_scanners()
        if lost:
            if isinstance(self.shown, AdminFacts | HelperFacts):
                return self._show(self._staff(type(self.shown)))
            return self._show(self._fault(), "attention")
        if not self.scanners.unread(problem) or self.scanners.any_out:
            return None
        if isinstance(self.shown, AdminFacts | HelperFacts):
            return None
        if isinstance(self.shown, SessionFacts):
            return self._show(replace(self.shown, unread=True), "refusal")
        return self._idle_notice(Notice.UNREAD, "refusal")

    def _ready(self, source: str) -> Update | None:
        was_out = self.scanners.back(source)
        self._report_scanners()
        if isinstance(self.shown, AdminFacts | HelperFacts):
            return self._show(self._staff(type(self.shown)))
        if not was_out or self.scanners.any_out:
            return None
        logger.info("scanner %s is back", source)
        return self._show(self._current())

    def _report_scanners(self) -> None:
        """Each scanner's new state, for the sync worker's heartbeat (the Today page)."""
        for name, state in self.scanners.unreported():
            self.store.sync.set_scanner_state(name, state)
            self.scanners.reported(name, state)

    # -- the screen's buttons --------------------------------------------------------------

    def _tap(self, tap: Tap) -> Update | Exit | None:
        target, shown = tap.target, self.shown
        if isinstance(shown, STAFF_SCREENS):
            self.until = self._now() + STAFF_SECONDS
            return self._staff_tap(target, shown)
        if target == "done" and isinstance(shown, SessionFacts):
            return self._after(self.door.press(Button.DONE, mono=tap.mono))
        if target.startswith("renew:") and isinstance(shown, SessionFacts):
            barcode = target.removeprefix("renew:")
            return self._after(self.door.press(Button.RENEW, mono=tap.mono, barcode=barcode))
        if target == "damaged" and isinstance(shown, ReturnFacts) and shown.damage_open:
            return self._after(self.door.press(Button.DAMAGED, mono=tap.mono))
        if target == "language" and isinstance(shown, IdleFacts | SessionFacts):
            self.language = "en" if self.language == "zh_CN" else "zh_CN"
            return self._show(self._current())
        if target == "admin" and isinstance(shown, IdleFacts | FaultFacts):
            self.staff.open_pin()
            self.until = self._now() + STAFF_SECONDS
            return self._show(self.staff.pin_facts(self.language))
        if target == "touch":
            if isinstance(shown, SessionFacts):
                self.door.touch(mono=tap.mono)
                return self._show(self._session())
            if isinstance(shown, ReceiptFacts):
                return self._show(self._idle())  # the child has seen the receipt
        return None

    def _staff_tap(
        self, target: str, shown: PinFacts | AdminFacts | HelperFacts
    ) -> Update | Exit | None:
        step = self.staff.tap(target, shown, self._now())
        if isinstance(step, Exit):
            return step
        if step is StaffStep.LEAVE:
            return self._leave_staff()
        if step is StaffStep.OPEN_ADMIN:
            return self._open_staff(AdminFacts)
        if step is StaffStep.NOTHING:
            return None
        if step is StaffStep.LANGUAGE:
            self.language = self.staff.default_language
        if isinstance(shown, PinFacts):
            return self._show(self.staff.pin_facts(self.language))
        return self._show(self._staff(type(shown)))

    def _open_staff(self, kind: type[AdminFacts | HelperFacts]) -> Update:
        # Nobody else's books stay on screen behind the librarian: the session ends first.
        self._record(self.door.close(Reason.PREEMPTED))
        self.visit = None
        self.language = self.staff.default_language
        self.until = self._now() + STAFF_SECONDS
        return self._show(self._staff(kind), "attention")

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
            if isinstance(self.shown, STAFF_SCREENS):
                return self._leave_staff()
            return self._show(self._rest())
        if isinstance(self.shown, IdleFacts) and self._minute() != self._idle_minute:
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
            self.visit.answered(decision)
            return self._show(self._session(), SOUND_OF.get(outcome, "success"))
        if outcome in (Outcome.RETURNED, Outcome.DAMAGE_REPORTED):
            self.until = self._now() + self.config.screens.return_seconds
            returned = outcome is Outcome.RETURNED
            # A copy someone waits for sounds different: it goes on the reservations shelf.
            sound = "attention" if Flag.RESERVED in decision.flags else "success"
            return self._show(ReturnFacts(decision, returned, self.until, self.language), sound)
        return self._idle_notice(decision, "refusal")

    def _start_visit(self, greeting: Decision) -> None:
        reader = self.store.library.reader(greeting.reader or "")
        target = reading_target(self.policy, reader) if reader is not None else 0
        self.visit = Visit.begin(greeting, target=target)
        self._notice = None
        self.until = None

    def _session_ended(self, decision: Decision) -> Update:
        visit, language = self.visit, self.language  # the receipt in the child's language
        self._ended()
        if decision.reason is not Reason.FINISHED or visit is None:
            return self._show(self._rest())
        self.until = self._now() + self.config.screens.summary_seconds
        today = self._local().date()
        return self._show(visit.receipt(today, closes_at=self.until, language=language))

    def _ended(self) -> None:
        self.visit = None
        self.until = None
        self.language = self.staff.default_language

    def _record(self, handled: Handled) -> None:
        if handled.recorded:
            self.tally.add(handled.recorded)

    # -- the facts of each screen (on this thread: they read the store) ------------------------

    def _show(self, facts: Facts, sound: str | None = None) -> Update:
        self.shown = facts
        return Update(facts, sound)

    def _rest(self) -> Facts:
        """The screen when nobody is at the door: idle, or the fault while a scanner is out."""
        return self._fault() if self.scanners.any_out else self._idle()

    def _current(self) -> Facts:
        if self.scanners.any_out:
            return self._fault()
        if self.door.state.session is not None and self.visit is not None:
            return self._session()
        if isinstance(self.shown, ReturnFacts | ReceiptFacts):
            return self.shown
        return self._idle()

    def _session(self) -> SessionFacts:
        visit = self.visit
        session = self.door.state.session
        assert visit is not None and session is not None
        library, policy, local = self.store.library, self.policy, self._local()
        # The reader as the store has them now, as the engine decides (a roster import mid-visit).
        reader = library.reader(session.reader.card) or replace(session.reader, active=False)
        held = library.loans_of(reader.card)
        loans = [
            LoanFacts(
                loan.barcode,
                copy.title if copy else loan.barcode,
                loan.due,
                # The renew button and the list say what a scan of the book would do.
                renewal_due(policy, reader, copy, loan, local) if copy else Reason.UNKNOWN_COPY,
            )
            for loan in held
            for copy in [library.copy(loan.barcode)]
        ]
        return visit.facts(
            loans,
            local.date(),
            idle_seconds=policy.idle_seconds,
            last_activity=session.last_activity,
            language=self.language,
            room=room(policy, reader, held, local),
            grade=reader.effective_grade,
            renew_button=policy.loans.renew_without_book,
        )

    def _idle(self) -> IdleFacts:
        local = self._local()
        if self.tally.since != board.week_start(local):
            self._start_week(local)
        self._idle_minute = self._minute()
        return IdleFacts(
            library=self.policy.library_name,
            local=local,
            open_windows=open_windows(self.policy, local),
            next_window=board.next_window(self.policy, local),
            arrivals=tuple(self.arrivals.titles()),
            best_class=self.tally.best(),
            mode=self.mode,
            language=self.language,
            notice=self._notice,
        )

    def _idle_notice(self, notice: Decision | Notice, sound: str) -> Update:
        self._notice = notice
        facts = self._idle()
        self._notice = None
        self.until = self._now() + NOTICE_SECONDS
        return self._show(facts, sound)

    def _fault(self) -> FaultFacts:
        return FaultFacts(self.scanners.faults(), None, self.language)

    def _staff(self, kind: type[AdminFacts | HelperFacts]) -> AdminFacts | HelperFacts:
        if kind is HelperFacts:
            return self.staff.helper(self.scanners, self.language)
        return self.staff.admin(self.scanners, self.language, self._zone())

    # -- small facts ---------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.read().mono

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)  # cached by zoneinfo

    def _local(self) -> datetime:
        return self.clock.read().wall.astimezone(self._zone())

    def _minute(self) -> tuple[str, str, DoorMode, Policy]:
        """What the idle screen was drawn from, besides the store: a new minute, language, mode
        or policy redraws it."""
        return f"{self._local():%Y-%m-%d %H:%M}", self.language, self.mode, self.policy

    def _title_of(self, barcode: str) -> str | None:
        copy = self.store.library.copy(barcode)
        return copy.title if copy is not None and copy.active else None

    def _pulled_arrivals(self) -> list[str] | None:
        sync = self.store.sync
        if not self._paired:
            if sync.status().last_pull_at is None:
                return None  # never paired: kiosk.toml's list
            self._paired = True  # once paired, always: the server's list, even an empty one
        return [arrival.title for arrival in sync.new_arrivals()]

    def _class_of(self, card: str) -> ClassName | None:
        reader = self.store.library.reader(card)
        return reader.class_name if reader is not None else None

    def _start_week(self, local: datetime) -> None:
        since = board.week_start(local)
        self.tally.reset(since)
        self.tally.add(self.store.events(after_seq=first_seq_since(self.store, since) - 1))


class KioskMismatchError(Exception):
    """The configured kiosk id is not the database's: the wrong file is mounted."""
