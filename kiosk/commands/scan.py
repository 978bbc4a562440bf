"""`kiosk scan`: the door from a terminal, one argument a scan, a button press or a pause."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.clocks import TIMESYNC_FLAG, ScriptedClock
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


class BadCodeError(ValueError):
    """A pseudo-code (@wait=...) that cannot be done; reported as a usage error."""


def wait_seconds(code: str) -> float | None:
    """The pause an ``@wait=SECONDS`` asks for, None if ``code`` is not one; BadCodeError if bad."""
    if not code.startswith("@wait="):
        return None
    try:
        seconds = float(code.removeprefix("@wait="))
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise BadCodeError(
            f"{code}: expected @wait=SECONDS with a number of seconds from 0 to 86400"
        )
    return seconds


def feed(door: Door, clock: ScriptedClock, code: str) -> Handled:
    """One argument of `kiosk scan` (or a line of the demo): a scan, a button or a pause."""
    seconds = wait_seconds(code)
    if seconds is not None:
        clock.advance(seconds)
        return door.tick()
    if code in BUTTONS:
        return door.press(BUTTONS[code])
    return door.scan(code)


def scan(args: argparse.Namespace) -> int:
    for code in args.codes:
        wait_seconds(code)  # a bad pause is a usage error before anything is recorded
    with Store(args.db) as store:
        policy = store.policy()
        # A time the operator gives is trusted; otherwise the system says whether it is synced.
        synced = args.at is not None or TIMESYNC_FLAG.exists()
        clock = ScriptedClock(parse_time(args.at, policy.timezone), synced=synced)
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
