"""Keyboard-wedge decoding: a pure state machine from key events at monotonic times to codes."""

from __future__ import annotations

from typing import Protocol

from hardware import keymap
from hardware.events import Reason, Rejection

Decoded = str | Rejection


class KeyInput(Protocol):
    """What the decoder reads from an event; ``evdev.InputEvent`` and recorded events both fit."""

    @property
    def type(self) -> int: ...
    @property
    def code(self) -> int: ...
    @property
    def value(self) -> int: ...


_KEY_UP, _KEY_DOWN = 0, 1


class WedgeDecoder:
    """Turns the keystrokes of a scanner or card reader in keyboard mode into whole codes.

    A code is the characters typed since the last terminator (Enter or keypad Enter, and Tab when
    asked). Only key-down events type: releases update modifiers, and autorepeat events (value 2)
    are dropped because a scanner never holds a key; a repeat only appears when its release report
    came late, and typing it would double a digit. A pause longer than ``timeout`` between keys
    drops a half-read code, so a code cut by a bad read cannot glue itself onto the next one.
    """

    def __init__(self, *, max_length: int = 64, timeout: float = 0.5, tab_ends_code: bool = False):
        self.max_length = max_length
        self.timeout = timeout
        self._terminators = frozenset(
            {keymap.KEY_ENTER, keymap.KEY_KPENTER} | ({keymap.KEY_TAB} if tab_ends_code else set())
        )
        self._chars: list[str] = []
        self._overflowed = False
        self._held: set[int] = set()
        self._caps_lock = False
        self._alt_digits = ""
        self._last_key_at: float | None = None

    def feed(self, event: KeyInput, now: float) -> list[Decoded]:
        """Decode one event seen at ``now``; returns finished codes and rejections, usually none."""
        if event.type == keymap.EV_SYN:
            return self._events_dropped() if event.code == keymap.SYN_DROPPED else []
        if event.type != keymap.EV_KEY:
            return []  # EV_MSC scan codes, LEDs, repeat settings: nothing to type
        out = self.expire(now)
        self._last_key_at = now
        code, value = event.code, event.value
        if code in keymap.MODIFIERS:
            self._modifier(code, value, out)
        elif value == _KEY_DOWN:
            self._key_down(code, out)
        return out

    def expire(self, now: float) -> list[Decoded]:
        """Drop a half-read code once ``timeout`` has passed since its last key."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        return self._drop_pending(
            Reason.INCOMPLETE, f"no Enter within {self.timeout:g} s of the last key"
        )

    def deadline(self) -> float | None:
        """When the pending half code expires; None if nothing is pending or time-outs are off."""
        pending = self._chars or self._overflowed or self._alt_digits
        if not pending or self._last_key_at is None or self.timeout <= 0:
            return None
        return self._last_key_at + self.timeout

    def reset(self, why: str = "the reader went away in the middle of a code") -> list[Decoded]:
        """Forget everything, as when the device goes away; reports a code cut in half."""
        self._held.clear()
        return self._drop_pending(Reason.INCOMPLETE, why)

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
            self._alt_digits += keymap.KEYPAD_DIGITS.get(code, "")
        elif not self._held & keymap.CTRLS:  # Ctrl+key is a shortcut, never part of a code
            ch = keymap.character(
                code, shift=bool(self._held & keymap.SHIFTS), caps_lock=self._caps_lock
            )
            if ch is not None:
                self._append(ch, out)

    def _finish_alt_code(self, out: list[Decoded]) -> None:
        digits, self._alt_digits = self._alt_digits, ""
        if not digits:
            return
        number = int(digits)
        if 32 <= number <= 126:
            self._append(chr(number), out)
        else:
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
        self._alt_digits = ""

    def _events_dropped(self) -> list[Decoded]:
        # The kernel's buffer overflowed: keys are missing, and so may be modifier releases.
        self._held.clear()
        return self._drop_pending(
            Reason.EVENTS_DROPPED, "the kernel dropped key events (SYN_DROPPED); code discarded"
        )

    def _drop_pending(self, reason: Reason, why: str) -> list[Decoded]:
        chars, overflowed = self._chars, self._overflowed
        self._chars, self._overflowed, self._alt_digits = [], False, ""
        if not chars or overflowed:
            return []
        partial = "".join(chars)
        return [Rejection(reason, f"dropped {len(partial)} characters {partial[:16]!r}: {why}")]
