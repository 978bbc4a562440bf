"""`kiosk scan`: the door from a terminal, one argument a scan, a button press or a pause."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.clocks import AdvancedClock, ScriptedClock, SteppingClock, machine_clock
from kiosk.commands._output import (
    decision_json,
    decision_text,
    parse_time,
    print_json,
)
from kiosk.core.codes import printable
from kiosk.core.decisions import Reason
from kiosk.core.session import Button
from kiosk.door import Door, Handled
from kiosk.store import Store

BUTTONS = {"@done": Button.DONE, "@damaged": Button.DAMAGED}
PSEUDO_CODES = "@done, @damaged or @wait=SECONDS"


class BadCodeError(ValueError):
    """A pseudo-code (@...) that cannot be done; reported as a usage error."""


def pseudo_code(code: str) -> Button | float | None:
    """What an argument starting with ``@`` asks for: a button press or a pause in seconds.

    None for anything else (a scan). No library code starts with ``@``, so a mistyped button
    (``@dnoe``, ``@wait`` without ``=``) is a usage error, never a scan journaled as unknown.
    Case does not matter: ``@DONE`` is ``@done``.
    """
    word = code.strip().lower()
    if not word.startswith("@"):
        return None
    if word in BUTTONS:
        return BUTTONS[word]
    if word.startswith("@wait="):
        try:
            seconds = float(word.removeprefix("@wait="))
        except ValueError:
            seconds = -1.0
        if 0 <= seconds <= 86400:
            return seconds
        raise BadCodeError(
            f"{printable(code)}: expected @wait=SECONDS with a number of seconds from 0 to 86400"
        )
    raise BadCodeError(f"{printable(code)}: expected {PSEUDO_CODES}")


def feed(door: Door, clock: SteppingClock, code: str) -> Handled:
    """One argument of `kiosk scan` (or a line of the demo): a scan, a button or a pause."""
    action = pseudo_code(code)
    if isinstance(action, Button):
        return door.press(action)
    if action is not None:
        clock.advance(action)
        return door.tick()
    return door.scan(code)


def scan(args: argparse.Namespace) -> int:
    for code in args.codes:
        pseudo_code(code)  # a mistyped button is a usage error before anything is recorded
    with Store(args.db) as store:
        policy = store.policy()
        clock: SteppingClock
        if args.at is None:
            clock = AdvancedClock(machine_clock())
        else:
            # The operator's time is used as given, and never holds the real clock afterwards.
            clock = ScriptedClock.given(parse_time(args.at, policy.timezone))
        door = Door(store, clock, policy=policy)
        for index, code in enumerate(args.codes):
            if index:
                clock.advance(1)
            _show(args, code, feed(door, clock, code))
        # Like the kiosk shutting down: a session still open is closed through the one way out.
        closing = door.close(Reason.SHUTDOWN)
        if closing.decision is not None and not args.json:
            print(decision_text(closing.decision, args.lang))
    return 0


def _show(args: argparse.Namespace, code: str, handled: Handled) -> None:
    if args.json:
        # One object per argument: its decision, or for @wait the session it ended (if any).
        obj: dict[str, Any]
        main, ended = handled.decision, handled.ended
        if main is None and ended is not None:
            main, ended = ended, None
        obj = decision_json(main, args.lang) if main else {"outcome": "waited"}
        obj["code"] = printable(code)  # the argument as given, made safe to print
        if ended is not None:
            obj["ended"] = decision_json(ended, args.lang)
        print_json(obj)
        return
    if handled.ended is not None:
        print(decision_text(handled.ended, args.lang))
    if handled.decision is not None:
        print(decision_text(handled.decision, args.lang))
