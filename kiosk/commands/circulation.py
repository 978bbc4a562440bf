"""`kiosk scan`, `kiosk loans`, `kiosk events`: the door from a terminal, and what it recorded."""

from __future__ import annotations

import argparse
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.clocks import ScriptedClock
from kiosk.commands._output import (
    decision_json,
    decision_text,
    error,
    parse_time,
    print_json,
)
from kiosk.core.decisions import Reason
from kiosk.core.journal import as_dict
from kiosk.core.session import Button
from kiosk.door import Door, Handled, load_policy
from kiosk.store import Store

BUTTONS = {"@done": Button.DONE, "@damaged": Button.DAMAGED}


def scan(args: argparse.Namespace) -> int:
    store = Store(args.db)
    policy = load_policy(store)
    clock = ScriptedClock(parse_time(args.at, policy.timezone))
    door = Door(store, clock, policy=policy)
    for index, code in enumerate(args.codes):
        if index:
            clock.advance(1)
        if code.startswith("@wait="):
            seconds = _seconds(code)
            if seconds is None:
                error(f"{code}: expected @wait=SECONDS with a number of seconds from 0 to 86400")
                return 2
            clock.advance(seconds)
            _show(args, code, door.tick())
        elif code in BUTTONS:
            _show(args, code, door.press(BUTTONS[code]))
        else:
            _show(args, code, door.scan(code))
    # Like the kiosk shutting down: a session still open is closed through the one way out.
    closing = door.close(Reason.SHUTDOWN)
    if closing.decision is not None and not args.json:
        print(decision_text(closing.decision, args.lang))
    store.close()
    return 0


def _seconds(code: str) -> float | None:
    try:
        seconds = float(code.removeprefix("@wait="))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 86400 else None


def _show(args: argparse.Namespace, code: str, handled: Handled) -> None:
    if args.json:
        # One object per argument: its decision, or for @wait the session it ended (if any).
        obj: dict[str, Any]
        main, ended = handled.decision, handled.ended
        if main is None and ended is not None:
            main, ended = ended, None
        obj = decision_json(main, args.lang) if main else {"outcome": "waited"}
        obj["code"] = code  # the argument as given; decision.code is the cleaned form
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
    today = parse_time(args.at, policy.timezone).astimezone(ZoneInfo(policy.timezone)).date()
    rows = store.loans(card=args.reader, overdue_on=today if args.overdue else None)
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
                f"{obj['due']}  {obj['label']:<16} {obj['title']:<14}\t"
                f"{obj['reader']:<10} {obj['given_name']} {obj['class']}  {mark}".rstrip()
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
