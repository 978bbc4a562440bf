"""One kiosk gone wrong (or a stolen token) cannot bury the librarian's inbox: it keeps a bounded
number of open items of each kind per kiosk, counts the rest in one item, and the page shows the
inbox a page at a time. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from sync.server import accounts, review
from sync.server.db import reading
from tests.web.conftest import Site, demo, reopen_kiosk

FLOOD = review.MAX_OPEN_PER_KIOSK + 150  # distinct codes nobody knows


def _open_unknown(site: Site) -> list[dict[str, object]]:
    with reading(site.engine) as conn:
        return [
            i for i in review.open_items(conn, review.Kind.UNKNOWN_CODE) if i["kiosk"] == "door-1"
        ]


def test_a_flood_of_unknown_codes_from_one_kiosk_leaves_the_inbox_readable(site: Site) -> None:
    before = len(_open_unknown(site))
    kiosk = reopen_kiosk(site.kiosk_db)
    try:
        for n in range(FLOOD):
            kiosk.clock.advance(1)
            kiosk.door.scan(f"ZZ{n:06d}")  # no session: a code that is no card and no book
        with site.engine.begin() as conn:  # a token of its own, on either database
            accounts.revoke_kiosk(conn, "door-1", site.clock())
            token = accounts.add_kiosk(conn, "door-1", site.clock())
        demo.sync_kiosk(kiosk, site.url, token, kiosk.clock)
    finally:
        kiosk.store.close()
    assert len(_open_unknown(site)) == review.MAX_OPEN_PER_KIOSK
    with reading(site.engine) as conn:
        (full,) = review.open_items(conn, review.Kind.INBOX_FULL)
    left_out = before + FLOOD - review.MAX_OPEN_PER_KIOSK
    assert json.loads(str(full["detail"]))["left_out"] == left_out
    s = site.sign_in()
    page = site.get(s, "/review")
    assert page.status_code == 200
    assert len(page.content) < 400_000  # a page, not the whole flood (8 MB before)
    assert page.text.count('class="card item') == 100
    shown = re.search(r"第 1–100 项，共 (\d+) 项", page.text)
    assert shown is not None and int(shown.group(1)) >= review.MAX_OPEN_PER_KIOSK + 1
    last = site.get(s, f"/review?page={(int(shown.group(1)) + 99) // 100}")
    assert "同一台自助机报告的事项太多" in last.text
    assert f"这台自助机另有 {left_out} 条同类事项" in last.text
