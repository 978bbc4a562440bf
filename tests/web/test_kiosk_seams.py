"""From the pages to the kiosk's screen and back, through a real server on 127.0.0.1 and the real
sync worker: what the librarian chooses reaches the idle screen, the rules she saves reach the
screen as well as the door, and a scanner unplugged at the kiosk reaches her Today page.

The kiosk is door-1 of the sample school, its front desk driven directly (the touchscreen's
application layer, read through the presenters as the screen shows it).
"""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
import requests
from sqlalchemy import update

from hardware import Host, ScanEvent, ScannerOutput, ScannerRole, open_scanner
from kiosk.clocks import ScriptedClock
from kiosk.config import load as load_config
from kiosk.desk.front_desk import FrontDesk
from kiosk.desk.inputs import Tick
from kiosk.desk.scanners import Scanners
from kiosk.store import Store
from kiosk.ui import presenters
from kiosk.ui.views import FaultView, IdleView, SessionView, View
from sync.server.tables import kiosks
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.conftest import SAMPLE
from tests.web.conftest import NOW, Site

PUPIL = "202430101"  # 3-1: borrows at the Monday lunchtime
WAIT = 10.0  # seconds a test waits for a scanner's thread before it fails


@dataclass
class Kiosk:
    """door-1's front desk on its file, on a clock the test moves, as the touchscreen runs it."""

    site: Site
    desk: FrontDesk
    clock: ScriptedClock

    @property
    def view(self) -> View:
        return presenters.present(self.desk.shown)

    def sync(self) -> None:
        """One run of the real sync worker (its own connection to the file, as its process has):
        push, pull, heartbeat."""
        with Store(self.site.kiosk_db) as store:
            client = SyncClient(self.site.url, self.site.tokens["door-1"])
            report = sync_once(store, client, Settings(), self.clock)  # raises if it fails
        assert report.pages >= 1, report

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.desk.handle(Tick())

    def scan(self, code: str) -> None:
        self.clock.advance(5)
        mono = self.clock.read().mono
        self.desk.handle(ScanEvent(code, ScannerRole.CARD, "card-scanner", mono))


@pytest.fixture
def kiosk(sqlite_site: Site) -> Iterator[Kiosk]:
    """On the server's SQLite only: the PostgreSQL copy of the school was paired with other
    tokens, and the pages and the sync are the same on both."""
    site = sqlite_site
    clock = ScriptedClock(NOW, synced=True)
    # kiosk.toml lists a book of its own: a paired kiosk shows the librarian's list instead.
    config = replace(load_config(None), database=site.kiosk_db, new_arrivals=("0001016",))
    store = Store(site.kiosk_db)
    desk = FrontDesk(store, clock, config, Scanners(["card-scanner", "book-scanner"]))
    yield Kiosk(site, desk, clock)
    desk.close()
    store.close()


def save_rules(site: Site, source: str) -> None:
    s = site.sign_in()
    token = site.form_token(s, "/rules")
    answer = site.post(s, "/rules", data={"form_token": token, "source": source})
    assert answer.status_code == 200 and "已保存" in answer.text, answer.text


def test_rules_saved_by_the_worker_change_the_timetable_and_the_countdown(kiosk: Kiosk) -> None:
    idle = kiosk.view
    assert isinstance(idle, IdleView)
    assert idle.window_next == "下一次：今天 14:30 一年级、二年级"  # Monday 13:30
    rules = (SAMPLE / "policy.toml").read_text(encoding="utf-8")
    changed = rules.replace('start = "14:30"', 'start = "14:00"')
    changed = changed.replace("idle_seconds = 20", "idle_seconds = 45")
    assert changed.count("14:00") == 1 and "idle_seconds = 45" in changed
    save_rules(kiosk.site, changed)
    kiosk.sync()
    kiosk.later(1)  # the door takes up the rules between visits; the screen shows them
    idle = kiosk.view
    assert isinstance(idle, IdleView)
    assert idle.window_next == "下一次：今天 14:00 一年级、二年级"
    kiosk.scan("T0001")  # a teacher may borrow outside the windows
    session = kiosk.view
    assert isinstance(session, SessionView)
    now = kiosk.clock.read().mono
    assert presenters.countdown(session, now)[0] == "45秒后自动结束"
    kiosk.later(44)
    assert isinstance(kiosk.view, SessionView)  # not closed after the old 20 seconds
    kiosk.later(2)
    assert isinstance(kiosk.view, IdleView)


def today_card(site: Site, kiosk: str) -> str:
    """The kiosk's card on the librarian's Today page."""
    page = site.get(site.sign_in(), "/").text
    card = page[page.index(f'data-kiosk="{kiosk}"') :]
    return card[: card.index("</section>")]


def test_a_scanner_unplugged_at_the_kiosk_is_on_the_today_page_after_the_next_heartbeat(
    kiosk: Kiosk,
) -> None:
    assert "book-scanner" not in today_card(kiosk.site, "door-1")
    # The fake scanner is chosen here, by its URL, as `kiosk run --script` chooses its scanners.
    host = Host(clock=lambda: kiosk.clock.read().mono)
    scanner = open_scanner("fake:?role=book&name=book-scanner&debounce=0", host=host)
    said: queue.SimpleQueue[ScannerOutput] = queue.SimpleQueue()
    scanner.start(said.put)
    try:
        kiosk.desk.handle(said.get(timeout=WAIT))  # it opened
        scanner.unplug()
        kiosk.desk.handle(said.get(timeout=WAIT))
        assert isinstance(kiosk.view, FaultView)  # the kiosk says so at once
        kiosk.sync()
        card = today_card(kiosk.site, "door-1")
        assert 'data-scanner="book-scanner">book-scanner: 没有连接</span>' in card
        assert "tag amber" in card
        scanner.replug()
        kiosk.desk.handle(said.get(timeout=WAIT))
        kiosk.sync()
        assert "book-scanner: 正常" in today_card(kiosk.site, "door-1")
    finally:
        scanner.close()


def test_a_kiosk_not_yet_upgraded_still_has_its_scanners_on_the_today_page(
    sqlite_site: Site,
) -> None:
    """Before the rename a kiosk's heartbeat named its scanners "readers": the server takes it for
    one release, and shows a heartbeat it stored before its own upgrade as well. (On SQLite: the
    school's tokens are its copy's.)"""
    site = sqlite_site
    old_style = {
        "protocol": 1,
        "kiosk_id": "door-1",
        "version": "0.1.0",
        "events_waiting": 0,
        "last_sync": None,
        "clock": {"wall": NOW.isoformat(), "mono": 1.0, "boot_id": "b", "synced": True},
        "readers": [{"name": "card-reader", "state": "disconnected"}],
    }
    headers = {"Authorization": f"Bearer {site.tokens['door-1']}"}
    answer = requests.post(site.url + "/v1/heartbeat", json=old_style, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    card = today_card(site, "door-1")
    assert 'data-scanner="card-reader">card-reader: 没有连接</span>' in card
    # As the server stored it before it was upgraded: the heartbeat as the kiosk sent it.
    stored = {**old_style, "readers": [{"name": "card-reader", "state": "ok"}]}
    with site.engine.begin() as conn:
        conn.execute(
            update(kiosks)
            .where(kiosks.c.name == "door-1")
            .values(last_heartbeat=json.dumps(stored))
        )
    assert 'data-scanner="card-reader">card-reader: 正常</span>' in today_card(site, "door-1")


def test_an_arrival_chosen_on_the_pages_is_on_the_idle_screen_after_the_next_pull(
    kiosk: Kiosk,
) -> None:
    site = kiosk.site
    s = site.sign_in()
    token = site.form_token(s, "/arrivals")
    chosen = site.post(
        s, "/arrivals", data={"form_token": token, "barcode": "0001003", "action": "add"}
    )
    assert "notice=arrival_added" in chosen.headers["location"]
    idle = kiosk.view
    assert isinstance(idle, IdleView) and idle.arrivals != ("夏洛的网",)
    kiosk.sync()
    kiosk.later(60)  # the idle screen is drawn again every minute
    idle = kiosk.view
    assert isinstance(idle, IdleView)
    assert idle.arrivals == ("夏洛的网",)  # the librarian's list, not kiosk.toml's
