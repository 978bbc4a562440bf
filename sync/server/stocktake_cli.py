"""`kiosk-server stocktake start|scan|report|close`: a stocktake (清点) from the command line,
with the same refusals as the stocktake page (Chinese first, then English)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from sync.server import db
from sync.server import stocktake as st

REFUSALS = {
    "already_open": ("已经有一个清点在进行（{code}号），请先结束它",
                     "stocktake {code} is still open: close it first"),
    "none_open": ("现在没有进行中的清点", "no stocktake is open"),
    "no_stocktake": ("还没有清点过", "there has been no stocktake yet"),
    "no_such_stocktake": ("没有这个清点：{code}", "no stocktake has number {code}"),
    "bad_classes": ("分类号范围应是中图法大类字母，如 I-K 或 I,K：{code}",
                    "classes: expected 中图法 class letters such as I-K or I,K, found {code}"),
    "bad_code": ("条码不能为空、不能超过80个字符：{code}",
                 "a code must be 1 to 80 characters, without control characters: {code}"),
}  # fmt: skip

FINDING_WORDS = {
    st.Finding.SEEN: "seen",
    st.Finding.MISSING: "missing",
    st.Finding.ON_LOAN_BUT_SEEN: "on loan but seen",
    st.Finding.WITHDRAWN: "seen but withdrawn or lost",
    st.Finding.UNKNOWN: "unknown code",
}


def refusal_text(refused: st.RefusedError) -> str:
    zh, en = REFUSALS[refused.reason]
    return f"{zh.format(code=refused.code)} / {en.format(code=refused.code)}"


Opener = Callable[[argparse.Namespace], Engine]


def add_commands(
    command: Callable[[str, str, str], argparse.ArgumentParser], opener: Opener
) -> None:
    p = command(
        "stocktake",
        "a stocktake (清点): start one, count codes, report what was found, close it",
        "kiosk-server stocktake start --classes I-K --db sqlite:///server.db",
    )
    p.add_argument("action", choices=("start", "scan", "report", "close"))
    p.add_argument("codes", nargs="*", metavar="CODE", help="scan: the codes counted")
    p.add_argument(
        "--classes",
        default="",
        metavar="LETTERS",
        help="start: only these 中图法 classes, e.g. I-K or I,K,Z (default: all)",
    )
    p.add_argument(
        "--number",
        type=int,
        metavar="N",
        help="report: this stocktake (default: the open one, else the last)",
    )
    p.add_argument("--json", action="store_true",
                   help="report: one JSON object per copy or unknown code")  # fmt: skip
    p.set_defaults(run=_run, open_db=opener)


def _now() -> datetime:
    return datetime.now(UTC)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(ACTIONS[args.action](args))
    except st.RefusedError as refused:
        print(f"kiosk-server: {refusal_text(refused)}", file=sys.stderr)
        return 1


def _start(args: argparse.Namespace) -> int:
    classes = st.parse_classes(args.classes)
    engine = args.open_db(args)
    with db.writing(engine) as conn:
        taking = st.start(conn, classes, "command line", _now())
    print(f"stocktake {taking.id} started: {_scope(taking)}")
    return 0


def _scan(args: argparse.Namespace) -> int:
    codes = [st.clean_code(c) for c in args.codes]
    engine = args.open_db(args)
    for code in codes:
        with db.writing(engine) as conn:
            what, barcode = st.scan(conn, code, "command line", _now())
        print(f"{barcode}: {what.value}")
    return 0


def _report(args: argparse.Namespace) -> int:
    engine = args.open_db(args)
    with db.reading(engine) as conn:
        if args.number is not None:
            taking = st.get(conn, args.number)
            if taking is None:
                raise st.RefusedError("no_such_stocktake", str(args.number))
        else:
            taking = st.latest(conn)
            if taking is None:
                raise st.RefusedError("no_stocktake")
        found = st.report(conn, taking)
    if args.json:
        for line in found.lines:
            print(json.dumps(line.as_json(), ensure_ascii=False))
        return 0
    state = "open" if taking.open else "closed"
    print(f"stocktake {taking.id} ({_scope(taking)}), {state}; {found.scans} code(s) counted")
    for letter, progress in found.by_class.items():
        print(f"  {letter}: {progress.seen} of {progress.expected} seen")
    for finding, words in FINDING_WORDS.items():
        if finding is not st.Finding.SEEN:
            for line in found.lines:
                if line.finding is finding:
                    print(f"{words}: {line.barcode} {line.category} {line.title}".rstrip())
    for finding, words in FINDING_WORDS.items():
        print(f"— {found.count(finding)} {words}")
    return 0


def _close(args: argparse.Namespace) -> int:
    engine = args.open_db(args)
    with db.writing(engine) as conn:
        taking = st.close(conn, "command line", _now())
        found = st.report(conn, taking)
    print(f"stocktake {taking.id} closed: {found.count(st.Finding.SEEN)} seen, "
          f"{found.count(st.Finding.MISSING)} missing; its report is kept")  # fmt: skip
    return 0


def _scope(taking: st.Stocktake) -> str:
    return f"classes {taking.classes}" if taking.classes else "the whole library"


ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "start": _start,
    "scan": _scan,
    "report": _report,
    "close": _close,
}
