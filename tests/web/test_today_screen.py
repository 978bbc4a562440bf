"""A kiosk with no screen connected is on the librarian's Today page: from what the touchscreen
app records (kiosk/ui/no_screen.py, through the store), through the real sync worker's heartbeat
to a real server on 127.0.0.1, to the page."""

from __future__ import annotations

from kiosk.clocks import ScriptedClock
from kiosk.store import Store
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.web.conftest import NOW, Site


def heartbeat(site: Site, screen: str | None) -> None:
    with Store(site.kiosk_db) as store:
        if screen is not None:
            store.sync.set_screen_state(screen)  # as `kiosk run` does when it starts
        client = SyncClient(site.url, site.tokens["door-1"])
        sync_once(store, client, Settings(), ScriptedClock(NOW, synced=True))


def today_card(site: Site, language: str = "zh_CN") -> str:
    signed_in = site.sign_in()
    signed_in.cookies.set("library_lang", language)
    page = site.get(signed_in, "/").text
    card = page[page.index('data-kiosk="door-1"') :]
    return card[: card.index("</section>")]


def test_no_screen_connected_is_on_the_today_page(sqlite_site: Site) -> None:
    heartbeat(sqlite_site, None)
    assert "data-screen" not in today_card(sqlite_site)  # a kiosk that has not said
    heartbeat(sqlite_site, "no_display")
    card = today_card(sqlite_site)
    assert '<span class="tag red" data-screen="no_display">没有连接屏幕</span>' in card
    assert "@screen" not in card  # not shown as a scanner
    assert 'data-screen="no_display">no screen connected</span>' in today_card(sqlite_site, "en")
    heartbeat(sqlite_site, "ok")
    assert '<span class="tag green" data-screen="ok">正常</span>' in today_card(sqlite_site)
