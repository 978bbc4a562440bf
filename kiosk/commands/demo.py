"""`kiosk demo`: a lunchtime at the sample school (阳光小学), run through the real door and store.

Nothing here is faked but time: the sample roster, catalogue and policy are imported into a real
SQLite file, every scan goes through the same engine and journal as at the door, and the run ends
with the checks `kiosk doctor` makes.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.clocks import ScriptedClock
from kiosk.commands._output import decision_text
from kiosk.commands.scan import feed
from kiosk.core.journal import verify_chain
from kiosk.door import Door
from kiosk.imports import read_catalog, read_roster
from kiosk.koc import koc_lines
from kiosk.store import Store

SAMPLE = Path(__file__).resolve().parent.parent / "sample"

# (local time, code, what is happening in Chinese, in English)
LUNCHTIME: tuple[tuple[str, str, str, str], ...] = (
    ("2026-11-23 12:10:05", "202430101", "三(1)班的同学刷卡", "A 3-1 pupil taps her card"),
    ("2026-11-23 12:10:12", "0001002", "扫描《小王子》", "scans The Little Prince"),
    ("2026-11-23 12:10:20", "0001005", "再借一本：午间只能借一本", "tries a second book: one each"),
    ("2026-11-23 12:10:24", "@done", "点“结束”", "presses Done"),
    ("2026-11-23 12:11:02", "202430102", "下一位同学刷卡", "the next pupil taps"),
    ("2026-11-23 12:11:09", "0001031", "想借《新华字典》", "tries to borrow a dictionary"),
    ("2026-11-23 12:11:15", "0001003", "借《夏洛的网》", "borrows Charlotte's Web"),
    ("2026-11-23 12:11:16", "0001003", "扫描枪又读了一次", "the scanner reads it twice"),
    ("2026-11-23 12:11:30", "202430201", "三(2)班同学直接刷卡", "a 3-2 pupil taps straight away"),
    ("2026-11-23 12:11:48", "9787419254125", "只有ISBN的书", "a copy that carries only its ISBN"),
    ("2026-11-23 12:12:30", "0001002", "有人来还《小王子》", "someone returns The Little Prince"),
    ("2026-11-23 12:12:34", "@damaged", "点“这本书坏了”", "presses 'this book is damaged'"),
    ("2026-11-23 12:13:00", "202610101", "一年级同学刷卡", "a grade 1 pupil taps"),
    ("2026-11-23 12:13:06", "0001006", "想借《安徒生童话》", "tries to borrow Andersen"),
    ("2026-11-23 12:13:30", "@wait=25", "走开了，没点结束", "walks away without pressing Done"),
    ("2026-11-23 12:14:10", "999999999", "一张没登记的卡", "an unregistered card"),
    ("2026-11-23 12:14:20", "'; DROP TABLE loans;--", "乱码", "garbage from a confused scanner"),
    ("2026-11-23 12:20:00", "T0001", "武老师刷卡", "a teacher taps"),
    ("2026-11-23 12:20:06", "0001010", "老师借《昆虫记》", "the teacher borrows a book"),
    ("2026-11-23 12:20:12", "0001011", "老师再借一本", "and another"),
    ("2026-11-23 12:20:20", "@done", "点“结束”", "presses Done"),
    ("2026-12-21 12:10:30", "202430102", "四周后：书过期了", "four weeks later, a book is overdue"),
    ("2026-12-21 12:10:36", "0001004", "想借新书", "tries to borrow a new book"),
    ("2026-12-21 12:10:44", "@done", "点“结束”", "presses Done"),
    ("2026-12-21 12:10:50", "0001003", "先还书", "returns the overdue book first"),
    ("2026-12-21 12:11:10", "202430102", "再刷卡", "taps again"),
    ("2026-12-21 12:11:16", "0001004", "这次借到了", "this time it works"),
)


def demo(args: argparse.Namespace) -> int:
    if args.db is not None:
        return _run(args.db, args.lang)
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as folder:
        return _run(Path(folder) / "kiosk.db", args.lang)


def _run(path: Path, language: str) -> int:
    zh = language == "zh_CN"
    store = Store.create(path, "demo-door")
    policy_text = (SAMPLE / "policy.toml").read_text(encoding="utf-8")
    policy = store.save_policy(policy_text)
    roster, catalog = read_roster(SAMPLE / "roster.csv"), read_catalog(SAMPLE / "catalog.csv")
    store.import_readers(roster.items)
    store.import_copies(catalog.items)
    print(
        f"{policy.library_name} · {path}\n"
        f"{len(roster.items)} {'位读者' if zh else 'readers'}, "
        f"{len(catalog.items)} {'册书' if zh else 'copies'}\n"
    )
    zone = ZoneInfo(policy.timezone)
    first = datetime.fromisoformat(LUNCHTIME[0][0]).replace(tzinfo=zone)
    clock = ScriptedClock(first)
    door = Door(store, clock, policy=policy)
    for when, code, note_zh, note_en in LUNCHTIME:
        moment = datetime.fromisoformat(when).replace(tzinfo=zone)
        clock.advance((moment - clock.read().wall).total_seconds())
        print(f"{moment:%m-%d %H:%M:%S}  {note_zh if zh else note_en}")
        handled = feed(door, clock, code)
        for decision in (handled.ended, handled.decision):
            if decision is not None:
                print(f"                {decision_text(decision, language)}")
    door.close()
    _summary(store, policy.timezone, zh)
    store.close()
    return 0


def _summary(store: Store, timezone: str, zh: bool) -> None:
    events = list(store.events())
    loans = store.loans()
    print()
    print(f"{'日志' if zh else 'Journal'}: {len(events)} {'条记录' if zh else 'events'}")
    print(f"{'借出' if zh else 'On loan'}: {len(loans)}")
    for loan in loans:
        copy = store.library.copy(loan.barcode)
        print(f"  {loan.due}  {loan.barcode:<16} {copy.title if copy else ''}")
    chain_ok = not verify_chain(events)
    projection_ok = not store.projection_differences()
    if zh:
        chain, match = ("完好" if chain_ok else "被改动"), ("是" if projection_ok else "否")
        print(f"哈希链：{chain} · 借阅表与日志一致：{match}")
    else:
        print(
            f"Hash chain: {'intact' if chain_ok else 'BROKEN'} · "
            f"loan table matches the journal: {'yes' if projection_ok else 'NO'}"
        )
    print(f"\n{'Koha 离线流通文件 (kiosk export koc)' if zh else 'Koha offline circulation file'}:")

    def label(barcode: str) -> str:
        copy = store.library.copy(barcode)
        return copy.label if copy else barcode

    for line in koc_lines(events, timezone, label):
        print(f"  {line}")
