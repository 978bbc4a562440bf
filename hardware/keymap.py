"""Linux key codes of a US keyboard and the characters they type, without importing evdev.

The numbers are the kernel's stable ABI (``linux/input-event-codes.h``); a test checks them
against ``evdev.ecodes`` so a typo here cannot hide.
"""

from __future__ import annotations

EV_SYN = 0
EV_KEY = 1
SYN_DROPPED = 3

KEY_TAB = 15
KEY_ENTER = 28
KEY_KPENTER = 96
KEY_CAPSLOCK = 58
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTCTRL = 29
KEY_RIGHTCTRL = 97
KEY_LEFTALT = 56
KEY_RIGHTALT = 100
KEY_LEFTMETA = 125
KEY_RIGHTMETA = 126

SHIFTS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRLS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
ALTS = frozenset({KEY_LEFTALT, KEY_RIGHTALT})
MODIFIERS = SHIFTS | CTRLS | ALTS | {KEY_LEFTMETA, KEY_RIGHTMETA}


def _row(first_code: int, plain: str, shifted: str) -> dict[int, tuple[str, str]]:
    return {first_code + i: (p, s) for i, (p, s) in enumerate(zip(plain, shifted, strict=True))}


# The main block: (character without Shift, character with Shift).
MAIN_KEYS: dict[int, tuple[str, str]] = {
    **_row(2, "1234567890-=", "!@#$%^&*()_+"),  # KEY_1 .. KEY_EQUAL
    **_row(16, "qwertyuiop[]", "QWERTYUIOP{}"),  # KEY_Q .. KEY_RIGHTBRACE
    **_row(30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),  # KEY_A .. KEY_GRAVE
    **_row(43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),  # KEY_BACKSLASH .. KEY_SLASH
    57: (" ", " "),  # KEY_SPACE
    86: ("\\", "|"),  # KEY_102ND, the extra key of ISO boards, is backslash on a US ISO layout
}

# Keypad keys type the same character whatever Shift or NumLock say: a scanner in keypad mode
# means digits, and the host's NumLock LED is not this device's state once we grab it.
KEYPAD_KEYS: dict[int, str] = {
    71: "7",
    72: "8",
    73: "9",
    74: "-",
    75: "4",
    76: "5",
    77: "6",
    78: "+",
    79: "1",
    80: "2",
    81: "3",
    82: "0",
    83: ".",
    55: "*",  # KEY_KPASTERISK
    98: "/",  # KEY_KPSLASH
    117: "=",  # KEY_KPEQUAL
    121: ",",  # KEY_KPCOMMA
}

KEYPAD_DIGITS: dict[int, str] = {code: ch for code, ch in KEYPAD_KEYS.items() if ch.isdigit()}


def character(code: int, *, shift: bool, caps_lock: bool) -> str | None:
    """The character a key types on a US layout, or None for keys that type nothing."""
    keypad = KEYPAD_KEYS.get(code)
    if keypad is not None:
        return keypad
    pair = MAIN_KEYS.get(code)
    if pair is None:
        return None
    plain, shifted = pair
    if caps_lock and plain.isalpha():
        # Caps Lock inverts Shift for letters only, as on a PC.
        shift = not shift
    return shifted if shift else plain
