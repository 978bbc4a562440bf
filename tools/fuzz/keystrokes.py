"""Text as a keyboard-wedge scanner types it: ``evdev.InputEvent`` values with the device's own
timestamps, and the faults real devices and kernels add (late releases, autorepeat, dropped
events, pauses, keys that type nothing, clocks that step back)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from evdev import InputEvent

from hardware import keymap

EV_MSC, EV_LED, EV_REP = 4, 17, 20
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
SYN_REPORT = 0

# Each printable ASCII character: the key that types it on a US layout and whether with Shift.
KEY_FOR: dict[str, tuple[int, bool]] = {}
for _code, (_plain, _shifted) in sorted(keymap.MAIN_KEYS.items()):
    KEY_FOR.setdefault(_plain, (_code, False))
    KEY_FOR.setdefault(_shifted, (_code, True))
KEYPAD_FOR = {digit: code for code, digit in keymap.KEYPAD_DIGITS.items()}


@dataclass(frozen=True)
class Typed:
    """The events of one hostile scan, and what the decoder must give back if nothing disturbed
    the typing (``expected``; None when the typing was disturbed or the text cannot be typed)."""

    events: tuple[InputEvent, ...]
    expected: str | None
    disturbances: tuple[str, ...]


class Typist:
    """Types texts as events; the timestamps run on from one text to the next."""

    def __init__(self, rng: random.Random, *, start: float = 1_000.0, max_length: int = 64):
        self.rng = rng
        self.time = start
        self.max_length = max_length
        self._out: list[InputEvent] = []

    def _event(self, kind: int, code: int, value: int, gap: float = 0.002) -> None:
        self.time = max(0.0, self.time + gap)
        sec = int(self.time)
        self._out.append(InputEvent(sec, int((self.time - sec) * 1_000_000), kind, code, value))

    def _key(self, code: int, value: int, gap: float = 0.002) -> None:
        self._event(keymap.EV_KEY, code, value, gap)
        self._event(keymap.EV_SYN, SYN_REPORT, 0, 0.0)

    def _tap(self, code: int) -> None:
        self._key(code, KEY_DOWN)
        self._key(code, KEY_UP)

    def _char(self, ch: str) -> None:
        found = KEY_FOR.get(ch)
        if found is not None:
            code, shift = found
            if shift:
                self._key(keymap.KEY_LEFTSHIFT, KEY_DOWN)
            self._tap(code)
            if shift:
                self._key(keymap.KEY_LEFTSHIFT, KEY_UP)
            return
        # What an "ALT mode" scanner does for any character: Alt + its number on the keypad.
        self._key(keymap.KEY_LEFTALT, KEY_DOWN)
        for digit in str(ord(ch)):
            self._tap(KEYPAD_FOR[digit])
        self._key(keymap.KEY_LEFTALT, KEY_UP)

    def type(self, text: str, *, disturb: bool) -> Typed:
        """The events of ``text`` and a terminator, possibly disturbed."""
        self._out = []
        rng = self.rng
        self.time += rng.choice([0.3, 1.0, 2.5, 60.0])  # between two scans
        faults: list[str] = []
        for index, ch in enumerate(text[:400]):  # a key storm is long enough at 400
            if disturb and rng.random() < 0.08:
                faults.append(self._fault(index))
            self._char(ch)
        if len(text) > 400:
            faults.append("cut at 400 keys")
        end = rng.choice(["enter", "enter", "keypad enter", "none", "tab"]) if disturb else "enter"
        if end == "none":
            faults.append("no Enter")
        else:
            self._tap(
                {"enter": keymap.KEY_ENTER, "tab": keymap.KEY_TAB}.get(end, keymap.KEY_KPENTER)
            )
        if end == "tab":
            faults.append("Tab instead of Enter")
        typable = text.isascii() and text.isprintable() and 0 < len(text) <= self.max_length
        expected = text if typable and not faults else None
        return Typed(tuple(self._out), expected, tuple(faults))

    def _fault(self, index: int) -> str:
        rng = self.rng
        kind = rng.randrange(10)
        if kind == 0:
            self.time += rng.choice([0.49, 0.51, 0.6, 3.0])
            return f"pause before key {index}"
        if kind == 1:
            self._event(keymap.EV_SYN, keymap.SYN_DROPPED, 0)
            return f"SYN_DROPPED before key {index}"
        if kind == 2:
            code = rng.choice(list(KEY_FOR.values()))[0]
            self._key(code, KEY_REPEAT)
            return f"autorepeat before key {index}"
        if kind == 3:
            self._key(keymap.KEY_LEFTSHIFT, KEY_DOWN)  # never released
            return f"Shift stuck from key {index}"
        if kind == 4:
            self._tap(keymap.KEY_CAPSLOCK)
            return f"Caps Lock at key {index}"
        if kind == 5:
            self._key(keymap.KEY_LEFTCTRL, KEY_DOWN)
            self._tap(rng.choice(list(KEY_FOR.values()))[0])
            self._key(keymap.KEY_LEFTCTRL, KEY_UP)
            return f"Ctrl+key at {index}"
        if kind == 6:
            self._key(keymap.KEY_LEFTALT, KEY_DOWN)
            for _ in range(rng.randint(1, 7)):
                self._tap(rng.choice(list(KEYPAD_FOR.values())))
            self._key(keymap.KEY_LEFTALT, KEY_UP)
            return f"an Alt code at {index}"
        if kind == 7:
            self.time -= rng.choice([0.001, 1.0, 1e6])  # the device's clock stepped back
            return f"time stepped back at key {index}"
        if kind == 8:
            for _ in range(rng.randint(1, 4)):
                kind_ = rng.choice([EV_MSC, EV_LED, EV_REP, keymap.EV_KEY, keymap.EV_SYN, 2, 3])
                value = rng.choice([-1, 0, 1, 2, 3, 2**31 - 1, -(2**31)])
                self._event(kind_, rng.randrange(0x300), value)
            return f"junk events at {index}"
        self._key(rng.randrange(0x300), rng.choice([KEY_DOWN, KEY_UP]))
        return f"an unmapped key at {index}"
