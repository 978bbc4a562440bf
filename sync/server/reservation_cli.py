"""`kiosk-server reserve`, `reservations` and `cancel-reservation`: the reservations (预约) from
the command line, with the same refusals as the pages (Chinese first, then English)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from kiosk.core.isbn import isbn13
from kiosk.core.policy_file import PolicyError, parse_policy
from sync.server import db
from sync.server import reservations as rs
from sync.server.tables import policy

# What each refusal says, in Chinese then English; ``{code}`` is the card, copy or id.
REFUSALS = {
    "unknown_reader": ("没有这个借书证：{code}", "no reader has card {code}"),
    "inactive_reader": ("这个借书证已停用：{code}", "card {code} is no longer active"),
    "unknown_copy": ("没有这本书（条码）：{code}", "no copy has barcode {code}"),
    "unknown_isbn": ("馆藏里没有这个ISBN：{code}", "no copy in the catalogue has ISBN {code}"),
    "reference_book": ("工具书不外借，不能预约：《{code}》",
                       "《{code}》 is a reference book, never lent: it cannot be reserved"),
    "duplicate": ("这位读者已经预约了这本书（预约 {code}）",
                  "this reader already has a reservation of this book (reservation {code})"),
    "no_such_reservation": ("没有这个预约：{code}", "no reservation has id {code}"),
    "not_open": ("这个预约已经结束（{code}），不能取消",
                 "this reservation is already {code}: there is nothing to cancel"),
    "not_yours": ("只能取消自己的预约：{code}", "you may cancel only your own ({code})"),
    "isbn_or_barcode": ("请给出 ISBN 或条码（只给一个）", "give either --isbn or --barcode"),
    "bad_isbn": ("不是有效的ISBN：{code}", "not a valid ISBN: {code}"),
}  # fmt: skip


def refusal_text(refused: rs.Refused) -> str:
    zh, en = REFUSALS[refused.reason]
    return f"{zh.format(code=refused.code)} / {en.format(code=refused.code)}"


def school_today(conn: Connection, now: datetime) -> date:
    """Today where the school is (its policy's time zone; UTC before any policy)."""
    source = conn.execute(select(policy.c.source)).scalar()
    zone = "UTC"
    if source is not None:
        with contextlib.suppress(PolicyError):
            zone = parse_policy(source).timezone
    return now.astimezone(ZoneInfo(zone)).date()


Opener = Callable[[argparse.Namespace], Engine]


def add_commands(
    command: Callable[[str, str, str], argparse.ArgumentParser], opener: Opener
) -> None:
    """The three commands; ``opener`` opens the migrated database ``--db`` names."""
    p = command(
        "reserve",
        "place a reservation (预约) for a reader on a title (--isbn) or one copy (--barcode)",
        "kiosk-server reserve T0001 --isbn 9787020002207 --db sqlite:///server.db",
    )
    p.add_argument("card", metavar="CARD", help="the reader's card number")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--isbn", help="any copy of this ISBN")
    what.add_argument("--barcode", help="this copy")
    p.set_defaults(run=_reserve, open_db=opener)
    p = command(
        "reservations",
        "list the reservations, newest first",
        "kiosk-server reservations --db sqlite:///server.db --json",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--card", help="only this reader's")
    p.add_argument("--state", choices=rs.STATES, help="only those in this state")
    p.set_defaults(run=_list, open_db=opener)
    p = command(
        "cancel-reservation",
        "cancel a waiting or ready reservation",
        "kiosk-server cancel-reservation 12 --db sqlite:///server.db",
    )
    p.add_argument("id", type=int, metavar="ID", help="the reservation's number")
    p.set_defaults(run=_cancel, open_db=opener)


def _now() -> datetime:
    return datetime.now(UTC)


def _refused(refused: rs.Refused) -> int:
    print(f"kiosk-server: {refusal_text(refused)}", file=sys.stderr)
    return 1


def _reserve(args: argparse.Namespace) -> int:
    isbn = None
    if args.isbn is not None:
        isbn = isbn13(args.isbn.strip())
        if isbn is None:
            return _refused(rs.Refused("bad_isbn", args.isbn))
    engine = args.open_db(args)
    with db.writing(engine) as conn:
        placed = rs.place(conn, args.card.strip(), _now(), "command line", isbn=isbn,
                          barcode=args.barcode.strip() if args.barcode else None)  # fmt: skip
    if isinstance(placed, rs.Refused):
        return _refused(placed)
    print(f"reservation {placed}: {args.card} waits for {isbn or args.barcode}")
    return 0


def _list(args: argparse.Namespace) -> int:
    engine = args.open_db(args)
    with db.reading(engine) as conn:
        rows = rs.listing(conn, school_today(conn, _now()), card=args.card, state=args.state)
    for r in rows:
        if args.json:
            print(json.dumps(r, ensure_ascii=False, default=str))
        else:
            book = r["barcode"] or r["isbn"]
            print(f"{r['id']:>6} {r['state']:<10} {r['card']:<12} {book:<16} {r['title']}")
    if not args.json:
        print(f"— {len(rows)} reservation(s)")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    engine = args.open_db(args)
    with db.writing(engine) as conn:
        refused = rs.cancel(conn, args.id, _now(), "command line")
    if refused is not None:
        return _refused(refused)
    print(f"reservation {args.id}: cancelled")
    return 0
