"""The scripted mode's file: one ``SECONDS CODE [SCANNER]`` a line, read and checked before the
app starts (every bad line is named with its number). No Kivy here.

SECONDS counts from the start on the app's clock, so an idle time-out in a script needs no real
waiting. CODE is a card or barcode (typed into SCANNER, by default the ``script`` scanner), or:

    @done @damaged        press those buttons (if they are on the screen)
    @tap=TARGET           press the button TARGET (admin, language, back, key:7, mode:closed ...)
    @pin=DIGITS           press the PIN keypad's digits, then OK
    @touch                touch the screen where there is no button
    @unplug=SCANNER       a fake scanner is unplugged; @replug=SCANNER plugs it back
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
    scanner: str | None = None

    @property
    def action(self) -> tuple[str, str]:
        """``("scan", code)`` or the pseudo-code's ``(name, argument)``."""
        match = _PSEUDO.fullmatch(self.code)
        if match is None:
            return "scan", self.code
        if match[1]:
            return match[1], ""
        return match[2], match[3]


def parse_script(text: str, scanners: tuple[str, ...]) -> tuple[ScriptLine, ...]:
    lines: list[ScriptLine] = []
    problems: list[str] = []
    last = 0.0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(raw)
        if match is None:
            problems.append(f"line {number}: expected SECONDS CODE [SCANNER], found {raw!r}")
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
        code, scanner = match[2], match[3]
        if code.startswith("@") and _PSEUDO.fullmatch(code) is None:
            problems.append(f"line {number}: {code!r} is not one of the @ codes (see docs/ui.md)")
            continue
        line = ScriptLine(number, seconds, code, scanner)
        action, argument = line.action
        for name in (scanner, argument if action in ("unplug", "replug") else None):
            if name is not None and name not in scanners:
                problems.append(
                    f"line {number}: no scanner named {name!r}; scanners: {', '.join(scanners)}"
                )
        last = seconds
        lines.append(line)
    if problems:
        raise ScriptError("; ".join(problems))
    if not lines:
        raise ScriptError("the script has no lines to play")
    return tuple(lines)
