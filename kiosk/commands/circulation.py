"""`kiosk scan`, `kiosk loans`, `kiosk events`: the door from a terminal, and what it recorded."""

from __future__ import annotations

import argparse
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.clocks import TIMESYNC_FLAG, ScriptedClock
from kiosk.commands._output import (
    decision_json,
    decision_text,
    pad,
    parse_time,
    print_json,
)
from kiosk.core.codes import clean_code, printable
from kiosk.core.decisions import Reason
from kiosk.core.journal import as_dict
from kiosk.core.session import Button
from kiosk.door import Door, Handled, load_policy
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
        policy = load_policy(store)
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


def loans(args: argparse.Namespace) -> int:
    store = Store(args.db)
    policy = load_policy(store)
    card = None
    if args.reader is not None:
        card = clean_code(args.reader)
        if card is None:
            raise BadCodeError(
                f"--reader: expected a card number, found {printable(args.reader)!r}"
            )
    today = parse_time(args.at, policy.timezone).astimezone(ZoneInfo(policy.timezone)).date()
    rows = store.loans(card=card, overdue_on=today if args.overdue else None)
    library = store.library
    for loan in rows:
        copy = library.copy(loan.barcode)
        reader = library.reader(loan.card)
        obj = {
            "barcode": loan.barcode,
            "label": copy.label if copy else loan.barcode,
            "title": copy.title if copy else "",
            "reader": loan.card,
            "given_name": reader.given_name if reader else "",
            "class": str(reader.class_name) if reader and reader.class_name else "",
            "borrowed_at": loan.borrowed_at.isoformat(),
            "due": loan.due.isoformat(),
            "overdue": loan.is_overdue(today),
        }
        if args.json:
            print_json(obj)
        else:
            mark = "逾期/overdue" if obj["overdue"] else ""
            print(
                f"{obj['due']}  {pad(str(obj['label']), 16)} {pad(str(obj['title']), 24)} "
                f"{pad(str(obj['reader']), 10)} {pad(str(obj['given_name']), 8)} "
                f"{pad(str(obj['class']), 4)} {mark}".rstrip()
            )
    if not args.json:
        print(f"— {len(rows)} loan(s)")
    store.close()
    return 0


def events(args: argparse.Namespace) -> int:
    store = Store(args.db)
    zone = ZoneInfo(load_policy(store).timezone) if store.policy_source() else UTC
    count = 0
    for recorded in store.events():
        count += 1
        if args.json:
            print_json(as_dict(recorded))
            continue
        e = recorded.event
        when = recorded.stamp.wall.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        extra = " ".join(
            part
            for part in (
                e.card or "",
                e.barcode or "",
                f"due={e.due.isoformat()}" if e.due else "",
                ",".join(f.value for f in e.flags),
                f"code={e.code}" if e.code and e.code != e.barcode else "",
            )
            if part
        )
        print(f"{recorded.seq:>6} {when} {e.type.value:<15} {e.reason.value:<22} {extra}")
    if not args.json:
        print(f"— {count} event(s)")
    store.close()
    return 0
