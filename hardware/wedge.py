"""Keyboard-wedge decoding: a pure state machine from timestamped key events to codes."""

from __future__ import annotations

from typing import Protocol

from hardware import keymap
from hardware.events import Reason, Rejection

Decoded = str | Rejection

# Alt + keypad codes are at most four digits (Alt+0065 is "A"); anything longer is not a character.
_ALT_DIGITS_MAX = 4


class KeyInput(Protocol):
    """What the decoder reads from an event; ``evdev.InputEvent`` and recorded events both fit.

    ``timestamp()`` is when the device sent the event, not when the program read it.
    """

    @property
    def type(self) -> int: ...
    @property
    def code(self) -> int: ...
    @property
    def value(self) -> int: ...
    def timestamp(self) -> float: ...


_KEY_UP, _KEY_DOWN = 0, 1


class WedgeDecoder:
    """Turns the keystrokes of a barcode or card scanner in keyboard mode into whole codes.

    A code is the characters typed since the last terminator (Enter or keypad Enter, and Tab when
    asked). Only key-down events type: releases update modifiers, and autorepeat events (value 2)
    are dropped because a scanner never holds a key; a repeat only appears when its release report
    came late, and typing it would double a digit.

    A pause longer than ``timeout`` between keys drops a half-read code, so a code cut by a bad
    read cannot glue itself onto the next one. The pause is measured with the events' own
    timestamps: a scanner thread that was descheduled between two reads must not cut a code the
    scanner typed in one go. ``now`` (the scanner's clock) only dates the output and says when a
    half code has waited long enough with no event at all (``deadline``/``expire``).

    After the kernel drops events (SYN_DROPPED) the keys of the current code are incomplete, and
    what follows is the tail of a code: it is ignored up to the next terminator or pause, never
    read as a code of its own (the tail of an ISBN can look like a card number).
    """

    def __init__(self, *, max_length: int = 64, timeout: float = 0.5, tab_ends_code: bool = False):
        self.max_length = max_length
        self.timeout = timeout
        self._terminators = frozenset(
            {keymap.KEY_ENTER, keymap.KEY_KPENTER} | ({keymap.KEY_TAB} if tab_ends_code else set())
        )
        self._chars: list[str] = []
        self._overflowed = False  # past max_length: ignoring up to the terminator
        self._dropped = False  # after SYN_DROPPED: ignoring up to the terminator or a pause
        self._held: set[int] = set()
        self._caps_lock = False
        self._alt_digits = ""
        self._alt_too_long = False
        self._last_key_at: float | None = None  # on the scanner's clock, when read
        self._last_key_sent: float | None = None  # on the device's clock, when typed

    def feed(self, event: KeyInput, now: float) -> list[Decoded]:
        """Decode one event read at ``now``; returns finished codes and rejections, usually none."""
        if event.type == keymap.EV_SYN:
            if event.code == keymap.SYN_DROPPED:
                return self._events_dropped(event.timestamp(), now)
            return []
        if event.type != keymap.EV_KEY:
            return []  # EV_MSC scan codes, LEDs, repeat settings: nothing to type
        sent = event.timestamp()
        out = self._pause_before(sent)
        self._last_key_at, self._last_key_sent = now, sent
        code, value = event.code, event.value
        if code in keymap.MODIFIERS:
            self._modifier(code, value, out)
        elif value == _KEY_DOWN:
            if self._dropped:
                self._skip_after_drop(code)
            else:
                self._key_down(code, out)
        return out

    def expire(self, now: float) -> list[Decoded]:
        """Drop a half-read code once ``timeout`` has passed on the scanner's clock with no key."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        return self._timed_out()

    def deadline(self) -> float | None:
        """When the pending half code expires; None if nothing is pending or time-outs are off."""
        if not self._pending() or self._last_key_at is None or self.timeout <= 0:
            return None
        return self._last_key_at + self.timeout

    def reset(self, why: str = "the scanner went away in the middle of a code") -> list[Decoded]:
        """Forget everything, as when the device goes away; reports a code cut in half."""
        self._held.clear()
        self._end_drop()
        return self._drop_pending(Reason.INCOMPLETE, why)

    def _pending(self) -> bool:
        return bool(self._chars or self._overflowed or self._dropped or self._alt_digits)

    def _pause_before(self, sent: float) -> list[Decoded]:
        last = self._last_key_sent
        if last is None or self.timeout <= 0 or not self._pending() or sent - last < self.timeout:
            return []
        return self._timed_out()

    def _timed_out(self) -> list[Decoded]:
        self._end_drop()
        return self._drop_pending(
            Reason.INCOMPLETE, f"no Enter within {self.timeout:g} s of the last key"
        )

    def _modifier(self, code: int, value: int, out: list[Decoded]) -> None:
        if value == _KEY_DOWN:
            self._held.add(code)
        elif value == _KEY_UP:
            self._held.discard(code)
            if code in keymap.ALTS and not self._held & keymap.ALTS:
                self._finish_alt_code(out)

    def _key_down(self, code: int, out: list[Decoded]) -> None:
        if code == keymap.KEY_CAPSLOCK:
            self._caps_lock = not self._caps_lock
        elif code in self._terminators:
            self._finish(out)
        elif self._held & keymap.ALTS:
            # Alt + keypad digits is how "ALT mode" scanners type any character whatever the layout.
            digit = keymap.KEYPAD_DIGITS.get(code, "")
            if len(self._alt_digits) + len(digit) > _ALT_DIGITS_MAX:
                self._alt_too_long = True  # kept short: a key storm must not build a huge number
            elif not self._alt_too_long:
                self._alt_digits += digit
        elif not self._held & keymap.CTRLS:  # Ctrl+key is a shortcut, never part of a code
            ch = keymap.character(
                code, shift=bool(self._held & keymap.SHIFTS), caps_lock=self._caps_lock
            )
            if ch is not None:
                self._append(ch, out)

    def _finish_alt_code(self, out: list[Decoded]) -> None:
        digits, too_long = self._alt_digits, self._alt_too_long
        self._alt_digits, self._alt_too_long = "", False
        if too_long:
            out.append(
                Rejection(
                    Reason.GARBLED, f"an Alt code of more than {_ALT_DIGITS_MAX} digits was typed"
                )
            )
        elif digits and 32 <= int(digits) <= 126:
            self._append(chr(int(digits)), out)
        elif digits:
            out.append(
                Rejection(Reason.GARBLED, f"Alt+{digits} is not a printable ASCII character")
            )

    def _append(self, ch: str, out: list[Decoded]) -> None:
        if self._overflowed:
            return
        if len(self._chars) >= self.max_length:
            # Report once, then swallow the rest up to the terminator: a key storm is one problem.
            self._overflowed = True
            self._chars.clear()
            out.append(
                Rejection(
                    Reason.TOO_LONG,
                    f"more than {self.max_length} characters without Enter; "
                    "ignored up to the next Enter",
                )
            )
        else:
            self._chars.append(ch)

    def _finish(self, out: list[Decoded]) -> None:
        if self._chars:
            out.append("".join(self._chars))
        self._chars.clear()
        self._overflowed = False
        self._alt_digits, self._alt_too_long = "", False

    def _events_dropped(self, sent: float, now: float) -> list[Decoded]:
        # The kernel's buffer overflowed: keys are missing, and so may be modifier releases and
        # Caps Lock presses. Every key up to the terminator is skipped, the rest of the cut packet
        # (which the kernel says to ignore up to SYN_REPORT) included.
        self._held.clear()
        self._caps_lock = False
        self._last_key_at, self._last_key_sent = now, sent
        if self._dropped:
            return []  # one problem for a burst of overflows
        self._chars, self._overflowed, self._dropped = [], False, True
        self._alt_digits, self._alt_too_long = "", False
        return [
            Rejection(
                Reason.EVENTS_DROPPED,
                "the kernel dropped key events (SYN_DROPPED); the code was discarded and what "
                "follows is ignored up to the next Enter",
            )
        ]

    def _skip_after_drop(self, code: int) -> None:
        # A terminator ends the damaged code, even inside the cut packet: the next code is whole.
        if code in self._terminators:
            self._end_drop()

    def _end_drop(self) -> None:
        if self._dropped:
            # Caps Lock presses were lost or skipped: start the next code from the usual state.
            self._caps_lock = False
        self._dropped = False

    def _drop_pending(self, reason: Reason, why: str) -> list[Decoded]:
        chars, overflowed = self._chars, self._overflowed
        self._chars, self._overflowed = [], False
        self._alt_digits, self._alt_too_long = "", False
        if not chars or overflowed:
            return []
        partial = "".join(chars)
        return [Rejection(reason, f"dropped {len(partial)} characters {partial[:16]!r}: {why}")]
