"""The scripted mode's file: one ``SECONDS CODE [READER]`` a line, read and checked before the
app starts (every bad line is named with its number). No Kivy here.

SECONDS counts from the start on the app's clock, so an idle time-out in a script needs no real
waiting. CODE is a card or barcode (typed into READER, by default the ``script`` reader), or:

    @done @damaged        press those buttons (if they are on the screen)
    @tap=TARGET           press the button TARGET (admin, language, back, key:7, mode:closed ...)
    @pin=DIGITS           press the PIN keypad's digits, then OK
    @touch                touch the screen where there is no button
    @unplug=READER        a fake reader is unplugged; @replug=READER plugs it back
    @wait                 nothing: the time passes and a shot is taken
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SECONDS = 86_400.0
_LINE = re.compile(r"\s*(\S+)\s+(\S+)(?:\s+(\S+))?\s*")
_PSEUDO = re.compile(r"@(done|damaged|touch|wait)|@(tap|pin|unplug|replug)=(\S+)")


class ScriptError(ValueError):
    """A script that cannot be played; the message names every bad line."""


@dataclass(frozen=True)
class ScriptLine:
    number: int
    seconds: float
    code: str
    reader: str | None = None

    @property
    def action(self) -> tuple[str, str]:
        """``("scan", code)`` or the pseudo-code's ``(name, argument)``."""
        match = _PSEUDO.fullmatch(self.code)
        if match is None:
            return "scan", self.code
        if match[1]:
            return match[1], ""
        return match[2], match[3]


def parse_script(text: str, readers: tuple[str, ...]) -> tuple[ScriptLine, ...]:
    lines: list[ScriptLine] = []
    problems: list[str] = []
    last = 0.0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(raw)
        if match is None:
            problems.append(f"line {number}: expected SECONDS CODE [READER], found {raw!r}")
            continue
        try:
            seconds = float(match[1])
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_SECONDS or seconds < last:
            problems.append(
                f"line {number}: SECONDS must be a number from {last:g} to {MAX_SECONDS:g} "
                f"(never going back), found {match[1]!r}"
            )
            continue
        code, reader = match[2], match[3]
        if code.startswith("@") and _PSEUDO.fullmatch(code) is None:
            problems.append(f"line {number}: {code!r} is not one of the @ codes (see docs/ui.md)")
            continue
        line = ScriptLine(number, seconds, code, reader)
        action, argument = line.action
        for name in (reader, argument if action in ("unplug", "replug") else None):
            if name is not None and name not in readers:
                problems.append(
                    f"line {number}: no reader named {name!r}; readers: {', '.join(readers)}"
                )
        last = seconds
        lines.append(line)
    if problems:
        raise ScriptError("; ".join(problems))
    if not lines:
        raise ScriptError("the script has no lines to play")
    return tuple(lines)
