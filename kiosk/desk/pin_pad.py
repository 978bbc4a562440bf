"""The admin PIN keypad's state: digits typed, wrong tries, the lock after too many. No Kivy."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from kiosk.config import pin_matches

logger = logging.getLogger(__name__)

PIN_TRIES = 5  # wrong PINs in a row before the keypad locks
PIN_LOCK_SECONDS = 60.0
MAX_DIGITS = 12


class PinOutcome(enum.Enum):
    TYPING = "typing"
    OPEN = "open"  # the right PIN
    WRONG = "wrong"
    LOCKED = "locked"
    NO_PIN = "no_pin"  # no admin.pin_hash configured: only librarian cards open admin


@dataclass(frozen=True)
class PinAnswer:
    outcome: PinOutcome
    tries_left: int = PIN_TRIES
    locked_seconds: int = 0


class PinPad:
    def __init__(self, pin_hash: str) -> None:
        self._hash = pin_hash
        self.digits = ""
        self._failures = 0
        self._locked_until = float("-inf")

    def clear(self) -> None:
        self.digits = ""

    def press(self, target: str, now: float) -> PinAnswer:
        """A keypad button (``key:7``, ``clear``, ``ok``) at monotonic time ``now``."""
        if target.startswith("key:") and len(self.digits) < MAX_DIGITS:
            self.digits += target.removeprefix("key:")[:1]
        elif target == "clear":
            self.digits = ""
        elif target == "ok":
            return self._check(now)
        return PinAnswer(PinOutcome.TYPING)

    def _check(self, now: float) -> PinAnswer:
        pin, self.digits = self.digits, ""
        if not self._hash:
            return PinAnswer(PinOutcome.NO_PIN)
        if now < self._locked_until:
            return PinAnswer(PinOutcome.LOCKED, 0, int(self._locked_until - now + 0.999))
        if pin_matches(pin, self._hash):
            self._failures = 0
            logger.info("admin screen opened with the PIN")
            return PinAnswer(PinOutcome.OPEN)
        self._failures += 1
        logger.warning("a wrong admin PIN was entered")
        left = PIN_TRIES - self._failures
        if left > 0:
            return PinAnswer(PinOutcome.WRONG, left)
        self._failures = 0
        self._locked_until = now + PIN_LOCK_SECONDS
        return PinAnswer(PinOutcome.LOCKED, 0, int(PIN_LOCK_SECONDS))
