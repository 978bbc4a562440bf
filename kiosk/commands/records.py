"""`kiosk loans` and `kiosk events`: what the kiosk recorded, as tables or JSON lines."""

from __future__ import annotations

import argparse
from datetime import UTC
from zoneinfo import ZoneInfo

from kiosk.commands._output import pad, parse_time, print_json
from kiosk.commands.scan import BadCodeError
from kiosk.core.codes import clean_code, printable
from kiosk.core.journal import as_dict
from kiosk.store import Store


def loans(args: argparse.Namespace) -> int:
    # Closed on every way out: an unclosed connection keeps -wal and -shm files until the
    # garbage collector runs.
    with Store(args.db, read_only=True) as store:
        return _loans(args, store)


def _loans(args: argparse.Namespace, store: Store) -> int:
    policy = store.policy()
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
            "renewals": loan.renewals,
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
    return 0


def events(args: argparse.Namespace) -> int:
    with Store(args.db, read_only=True) as store:
        return _events(args, store)


def _events(args: argparse.Namespace, store: Store) -> int:
    zone = ZoneInfo(store.policy().timezone) if store.policy_source() else UTC
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
    return 0
