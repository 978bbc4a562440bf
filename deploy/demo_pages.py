"""The librarian's pages with the sample school (阳光小学), as deploy/demo.sh shows them.

Nothing here is faked but time: the sample roster, catalogue and rules go into a real server
database; weeks of lunchtimes are scanned at a real kiosk (kiosk.store.Store + kiosk.door.Door,
the same engine and journal as at the door, on a clock that jumps from one borrowing window to
the next); the kiosk then syncs with the server over HTTP through the real sync worker. The
pages are served until Ctrl-C, and the address and a librarian's sign-in are printed.

It lives here, not in the `sync` package, because it drives a kiosk's door, which the server's
code must never import (see the import contracts in pyproject.toml). The pages' tests build
their school with the same functions.

    .venv/bin/python deploy/demo_pages.py [--lang en] [--port 8080] [--folder var/demo]
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn

from kiosk.clocks import Clock, ScriptedClock, SystemClock
from kiosk.core.calendar import is_open_day
from kiosk.core.decisions import Outcome
from kiosk.core.models import Copy, Reader, ReaderRole
from kiosk.core.policy import Policy
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.imports import read_catalog, read_policy, read_policy_source, read_roster
from kiosk.store import Store
from sync.server import accounts, school_data
from sync.server.app import create_app
from sync.server.db import engine_for, migrate
from sync.server.ratelimit import RateLimit
from sync.server.web import staff
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "kiosk" / "sample"
DICTIONARY = "0001031"  # 新华字典, a reference book in the sample catalogue
UNKNOWN_CARD = "999999999"
DEMO_SCRIPT = ROOT / "kiosk" / "ui" / "demo.script"  # door-2's lunchtime in deploy/demo.sh


@dataclass
class Door1:
    """The sample school's kiosk: its file, its door, the clock the simulation moves."""

    path: Path
    store: Store
    clock: ScriptedClock
    door: Door
    readers: tuple[Reader, ...]
    copies: tuple[Copy, ...]
    on_loan: dict[str, str] = field(default_factory=dict)  # barcode -> card, as the door said

    def at(self, moment: datetime) -> None:
        ahead = (moment - self.clock.read().wall).total_seconds()
        if ahead > 0:
            self.clock.advance(ahead)

    def scan(self, code: str, seconds: float = 4) -> Outcome | None:
        self.clock.advance(seconds)
        handled = self.door.scan(code)
        decision = handled.decision
        if decision is None:
            return None
        if decision.outcome is Outcome.BORROWED and decision.barcode:
            self.on_loan[decision.barcode] = decision.reader or ""
        elif decision.outcome is Outcome.RETURNED and decision.barcode:
            self.on_loan.pop(decision.barcode, None)
        return decision.outcome

    def press(self, button: Button) -> None:
        self.clock.advance(3)
        self.door.press(button)


def open_kiosk(path: Path, kiosk_id: str, start: datetime) -> Door1:
    store = Store.create(path, kiosk_id)
    store.save_policy(read_policy_source(SAMPLE / "policy.toml"))
    readers = read_roster(SAMPLE / "roster.csv").items
    copies = read_catalog(SAMPLE / "catalog.csv").items
    store.import_readers(readers)
    store.import_copies(copies)
    clock = ScriptedClock(start, synced=True, boot_id="demo-boot")
    return Door1(path, store, clock, Door(store, clock), readers, copies)


def last_monday_lunch(policy: Policy, until: datetime) -> datetime:
    """The start of the last Monday borrowing window (classes 3-1 and 3-2 in the sample) on an
    open day at or before ``until``: the moment door-2's scripted lunchtime begins."""
    zone = ZoneInfo(policy.timezone)
    window = next(w for w in policy.windows if 0 in w.weekdays and "3-1" in w.classes)
    day = until.astimezone(zone).date()
    while day >= policy.term.start:
        moment = datetime.combine(day, window.start, tzinfo=zone)
        if day.weekday() == 0 and is_open_day(policy.term, day) and moment <= until:
            return moment
        day -= timedelta(days=1)
    raise ValueError("the term has no Monday lunchtime before " + until.isoformat())


def bring_back(kiosk: Door1, script: Path, moment: datetime) -> int:
    """The pupils of door-2's script bring back what they hold, and its books come back to the
    shelf, before its lunchtime: the script borrows them. Returns the scans."""
    codes = {line.split()[1] for line in script.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#") and len(line.split()) > 1}  # fmt: skip
    pupils = {r.card for r in kiosk.readers if r.card in codes and r.role is ReaderRole.STUDENT}
    books = {c.barcode for c in kiosk.copies if c.barcode in codes or c.isbn in codes}
    kiosk.at(moment)
    held = sorted(b for b, card in kiosk.on_loan.items() if card in pupils or b in books)
    for barcode in held:
        kiosk.scan(barcode)
    return len(held)


def school_days(policy: Policy, first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        if is_open_day(policy.term, day):
            yield day
        day += timedelta(days=1)


def simulate(
    kiosk: Door1, policy: Policy, until: datetime, seed: int = 2026, since: date | None = None
) -> int:
    """Borrowing windows from the term's start up to ``until``: pupils of the classes each
    window lists return last week's book and borrow another; now and then one forgets to bring
    a book back, presses "damaged", scans a dictionary or a card nobody has. Returns the scans."""
    rng = random.Random(seed)
    zone = ZoneInfo(policy.timezone)
    pupils = [r for r in kiosk.readers if r.role is ReaderRole.STUDENT and r.active]
    teachers = [r for r in kiosk.readers if r.role is ReaderRole.TEACHER and r.active]
    lendable = sorted(c.barcode for c in kiosk.copies if c.loan_type.value == "loan" and c.active)
    forgetful = {p.card for p in rng.sample(pupils, k=max(1, len(pupils) // 8))}
    scans = 0
    last = until.astimezone(zone).date()
    for day in school_days(policy, since or policy.term.start, last):
        for window in sorted(policy.windows, key=lambda w: w.start):
            if day.weekday() not in window.weekdays:
                continue
            start = datetime.combine(day, window.start, tzinfo=zone) + timedelta(minutes=2)
            if start + timedelta(minutes=20) > until:
                continue
            kiosk.at(start)
            free_time = window.max_books is None and not window.classes and window.grades
            chance = 0.06 if free_time else 0.85
            for pupil in pupils:
                if pupil.class_name is None or rng.random() > chance:
                    continue
                in_window = str(pupil.class_name) in window.classes or (
                    pupil.effective_grade in window.grades
                )
                if not in_window:
                    continue
                held = [b for b, card in kiosk.on_loan.items() if card == pupil.card]
                for barcode in held:
                    if pupil.card in forgetful and rng.random() < 0.7:
                        continue  # left at home again
                    kiosk.scan(barcode)
                    scans += 1
                    if rng.random() < 0.006:
                        kiosk.press(Button.DAMAGED)
                kiosk.clock.advance(6)
                kiosk.scan(pupil.card)
                scans += 1
                if rng.random() < 0.03:
                    kiosk.scan(DICTIONARY)
                    scans += 1
                shelf = [b for b in lendable if b not in kiosk.on_loan]
                if shelf:
                    kiosk.scan(rng.choice(shelf))
                    scans += 1
                kiosk.press(Button.DONE)
                kiosk.clock.advance(20)
            if rng.random() < 0.05:
                kiosk.scan(UNKNOWN_CARD)
                scans += 1
        if teachers and day.weekday() == 3 and rng.random() < 0.5:  # a teacher on Thursdays
            kiosk.at(datetime.combine(day, time(15, 40), tzinfo=zone))
            teacher = rng.choice(teachers)
            kiosk.scan(teacher.card)
            shelf = [b for b in lendable if b not in kiosk.on_loan]
            if shelf:
                kiosk.scan(rng.choice(shelf))
            kiosk.press(Button.DONE)
            scans += 2
    return scans


def prepare_server(url: str, now: datetime) -> dict[str, str]:
    """A migrated server database with the sample school and two kiosks; their tokens."""
    engine = engine_for(url)
    migrate(engine)
    with engine.begin() as conn:
        school_data.save_policy(conn, read_policy_source(SAMPLE / "policy.toml"), now)
        roster = read_roster(SAMPLE / "roster.csv")
        school_data.import_readers(conn, roster.items, now, deactivate_missing=True)
        catalog = read_catalog(SAMPLE / "catalog.csv")
        school_data.import_copies(conn, catalog.items, now, deactivate_missing=True)
        tokens = {name: accounts.add_kiosk(conn, name, now) for name in ("door-1", "door-2")}
    engine.dispose()
    return tokens


def sync_kiosk(kiosk: Door1, server: str, token: str, clock: Clock | None = None) -> str:
    """One run of the real sync worker: push the journal, pull, heartbeat."""
    client = SyncClient(server, token)
    report = sync_once(kiosk.store, client, Settings(), clock or SystemClock())
    return str(report)


def add_librarian(url: str, name: str, now: datetime) -> str:
    password = secrets.token_urlsafe(9)
    engine = engine_for(url)
    with engine.begin() as conn:
        staff.add(conn, name, staff.Role.LIBRARIAN, password, now, replace=True)
        staff.add(
            conn, "teacher31", staff.Role.TEACHER, password, now, class_name="3-1", replace=True
        )
    engine.dispose()
    return password


def listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.bind((host, 0))  # the port is taken: any free one
    sock.listen(128)
    return sock


def serve(url: str, sock: socket.socket, clock: Callable[[], datetime]) -> uvicorn.Server:
    engine = engine_for(url)
    app = create_app(engine, rate_limit=RateLimit(limit=10_000), clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=("zh_CN", "en"), default="zh_CN")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--folder", type=Path, default=ROOT / "var" / "demo")
    parser.add_argument(
        "--weeks", type=int, default=0, help="lunchtimes to simulate (default: the term so far)"
    )
    parser.add_argument(
        "--ready", type=Path, help="once the pages are served, write their address to this file"
    )
    args = parser.parse_args(argv)
    zh = args.lang == "zh_CN"
    folder: Path = args.folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'server.db'}"
    now = datetime.now(UTC)
    tokens = prepare_server(url, now)
    policy = read_policy(SAMPLE / "policy.toml")
    zone = ZoneInfo(policy.timezone)
    term_start = policy.term_began
    until = min(now, datetime.combine(policy.term.end, time(23), tzinfo=zone))
    if args.weeks or until < term_start + timedelta(days=7):
        until = term_start + timedelta(weeks=args.weeks or 8)
    # door-2 (deploy/demo.sh) plays the last Monday lunchtime; door-1's term ends just before.
    door2_at = last_monday_lunch(policy, until)
    kiosk = open_kiosk(folder / "door-1.db", "door-1", term_start)
    print(
        "正在模拟本学期的午间借阅…" if zh else "Scanning this term's lunchtimes at door-1…",
        flush=True,
    )
    scans = simulate(kiosk, policy, door2_at - timedelta(minutes=10))
    scans += bring_back(kiosk, DEMO_SCRIPT, door2_at - timedelta(minutes=8))
    (folder / "door-2.at").write_text(door2_at.strftime("%Y-%m-%dT%H:%M") + "\n", encoding="utf-8")
    sock = listen(args.host, args.port)
    address = f"http://{args.host}:{sock.getsockname()[1]}/"
    server = serve(url, sock, lambda: datetime.now(UTC))
    report = sync_kiosk(kiosk, address, tokens["door-1"])
    password = add_librarian(url, "librarian", now)
    # The second door (deploy/demo.sh runs the touchscreen app as door-2) pairs with this token.
    (folder / "door-2.token").write_text(tokens["door-2"] + "\n", encoding="utf-8")
    if zh:
        print(f"door-1 扫描了 {scans} 次，并已同步到服务器：{report}")
        print(f"\n图书管理员网页：{address}")
        print(f"  用户名 librarian    密码 {password}")
        print(f"  班主任（三(1)班，只读）：teacher31    密码 {password}")
        print("按 Ctrl-C 结束。")
    else:
        print(f"door-1 made {scans} scans and synced with the server: {report}")
        print(f"\nThe librarian's pages: {address}")
        print(f"  name librarian    password {password}")
        print(f"  class teacher of 3-1 (read-only): teacher31    password {password}")
        print("Ctrl-C stops it.")
    sys.stdout.flush()
    if args.ready is not None:
        args.ready.write_text(address, encoding="utf-8")
    try:
        while not server.should_exit:
            threading.Event().wait(3600)
    except KeyboardInterrupt:
        server.should_exit = True
    kiosk.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
