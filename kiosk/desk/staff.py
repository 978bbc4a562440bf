"""The grown-ups at the kiosk: the PIN keypad, the librarian's admin screen, the helper's screen,
and what they set there (the door's mode, the default language, restart or leave).

A librarian card (``admin.librarian_cards``) or the PIN opens admin; a helper card
(``helpers.cards``) opens the helper's screen, which can only turn returns-only mode on and off.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import tzinfo

from kiosk.clocks import Clock
from kiosk.config import KioskConfig
from kiosk.core.modes import DoorMode
from kiosk.core.session import DeviceRole
from kiosk.desk.facts import AdminFacts, HelperFacts, MachineState, PinFacts
from kiosk.desk.inputs import RESTART, Exit
from kiosk.desk.pin_pad import PinAnswer, PinOutcome, PinPad
from kiosk.desk.scanners import Scanners
from kiosk.door import Door

logger = logging.getLogger(__name__)

STAFF_SECONDS = 120.0  # admin and helper screens close by themselves after this long untouched
StaffFacts = PinFacts | AdminFacts | HelperFacts


class StaffStep(enum.Enum):
    """What a tap on a grown-up's screen asks of the desk."""

    NOTHING = "nothing"
    REDRAW = "redraw"  # the same screen, with what the tap changed
    LEAVE = "leave"  # back to the child's screens
    OPEN_ADMIN = "open_admin"  # the right PIN
    LANGUAGE = "language"  # the default language changed: the screen follows it


class Staff:
    def __init__(
        self,
        config: KioskConfig,
        door: Door,
        clock: Clock,
        network_up: Callable[[], bool],
    ) -> None:
        self._door, self._clock, self._network_up = door, clock, network_up
        self._librarians, self._helpers = config.librarian_cards, config.helper_cards
        self.pin = PinPad(config.pin_hash)
        self._pin_answer: PinAnswer | None = None
        self.default_language = config.language

    @property
    def mode(self) -> DoorMode:
        """The door's mode: the engine decides by it (kiosk.core.modes)."""
        return self._door.mode

    def screen_for_card(self, code: str, role: DeviceRole) -> type[AdminFacts | HelperFacts] | None:
        """The screen a librarian's or a helper's card opens (a book scanner reads no cards)."""
        if role is DeviceRole.BOOK:
            return None
        if code in self._librarians:
            logger.info("admin screen opened with a librarian card")
            return AdminFacts
        if code in self._helpers:
            logger.info("helper screen opened with a helper card")
            return HelperFacts
        return None

    def open_pin(self) -> None:
        self.pin.clear()
        self._pin_answer = None

    def tap(self, target: str, shown: StaffFacts, now: float) -> StaffStep | Exit:
        """A button on the keypad, the admin screen or the helper's screen, at monotonic ``now``."""
        if target == "back":
            return StaffStep.LEAVE
        if isinstance(shown, PinFacts):
            answer = self.pin.press(target, now)
            self._pin_answer = answer
            return StaffStep.OPEN_ADMIN if answer.outcome is PinOutcome.OPEN else StaffStep.REDRAW
        admin = isinstance(shown, AdminFacts)
        if target.startswith("mode:") and admin:
            try:
                self._door.set_mode(DoorMode(target.removeprefix("mode:")))
            except ValueError:
                return StaffStep.NOTHING
            logger.info("mode set to %s by the librarian", self.mode.value)
        elif target == "returns_only" and isinstance(shown, HelperFacts):
            normal = self.mode is DoorMode.RETURNS_ONLY
            self._door.set_mode(DoorMode.NORMAL if normal else DoorMode.RETURNS_ONLY)
            logger.info("mode set to %s by a helper", self.mode.value)
        elif target == "default_language" and admin:
            self.default_language = "en" if self.default_language == "zh_CN" else "zh_CN"
            return StaffStep.LANGUAGE
        elif target in ("restart", "leave") and admin:
            logger.info("the librarian chose %s", target)
            return Exit(RESTART if target == "restart" else 0)
        elif target != "touch":
            return StaffStep.NOTHING
        return StaffStep.REDRAW

    # -- what the screens show ---------------------------------------------------------------

    def pin_facts(self, language: str) -> PinFacts:
        return PinFacts(len(self.pin.digits), self._pin_answer, language)

    def helper(self, scanners: Scanners, language: str) -> HelperFacts:
        return HelperFacts(scanners.facts(with_codes=False), self.mode, language)

    def admin(self, scanners: Scanners, language: str, zone: tzinfo) -> AdminFacts:
        reading = self._clock.read()
        # What the sync worker wrote of itself (it shares this file).
        sync = self._door.store.sync
        waiting, health = sync.status().events_waiting, sync.health()
        heard = health.server_clock
        clock_state = (
            "synced" if reading.synced
            else "from_server" if heard is not None and heard.boot_id == reading.boot_id
            else "unsynced"
        )  # fmt: skip
        last = health.last_success_at
        machine = MachineState(
            pending_events=waiting,
            last_sync=f"{last.astimezone(zone):%Y-%m-%d %H:%M}" if last else None,
            network_up=self._network_up(),
            clock_state=clock_state,
            now=f"{reading.wall.astimezone(zone):%Y-%m-%d %H:%M}",
            sync_problem=health.problem_kind.value if health.problem_kind else None,
        )
        return AdminFacts(machine, scanners.facts(with_codes=True), self.mode, language)
