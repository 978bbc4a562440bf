"""A renewal (续借) on the librarian's pages, on SQLite and PostgreSQL: a kiosk of the sample school
lends a book and renews it a week later, the real sync worker pushes both to the real server on
127.0.0.1, and the log (filtered by type), the CSV and KOC exports and the overdue notices show
the renewal and the renewed due date."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import select

from kiosk.clocks import ScriptedClock
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.imports import read_catalog, read_roster
from kiosk.store import Store
from sync.server import accounts
from sync.server.tables import copies, events
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.conftest import SAMPLE, local
from tests.web.conftest import Site

PUPIL = "202430101"  # 3-1: borrows at the Monday lunchtime


def _a_book_out_since_before_the_16th(site: Site) -> tuple[str, str]:
    """A copy nobody has touched since before 16 November (the sample school lends every copy it
    has: door-9 takes this one back first), so no other door's events come between door-9's."""
    since = local("2026-11-16 00:00").astimezone(UTC)
    with site.engine.connect() as conn:
        touched = select(events.c.barcode).where(
            events.c.barcode.is_not(None), events.c.effective_time >= since
        )
        row = conn.execute(
            select(copies.c.barcode, copies.c.title)
            .where(copies.c.loan_type == "loan", copies.c.active.is_(True))
            .where(copies.c.isbn_only.is_(False), copies.c.barcode.not_in(touched))
            .order_by(copies.c.barcode)
            .limit(1)
        ).one()
    return str(row.barcode), str(row.title)


def test_a_renewal_is_in_the_log_the_exports_and_the_overdue_notice(
    site: Site, tmp_path: Path
) -> None:
    book, title = _a_book_out_since_before_the_16th(site)
    with site.engine.begin() as conn:
        token = accounts.add_kiosk(conn, "door-9", site.clock())
    store = Store.create(tmp_path / "door-9.db", "door-9")
    store.save_policy((SAMPLE / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(read_roster(SAMPLE / "roster.csv").items)
    store.import_copies(read_catalog(SAMPLE / "catalog.csv").items)
    clock = ScriptedClock(local("2026-11-16 12:15"), synced=True)
    door = Door(store, clock)
    door.scan(book)  # brought back first, at this door
    clock.advance(10)
    for code in (PUPIL, book):
        clock.advance(1)
        door.scan(code)
    door.press(Button.DONE)  # due Monday 30 November
    clock.advance((local("2026-11-23 12:45") - clock.read().wall).total_seconds())
    door.scan(PUPIL)
    clock.advance(1)
    renewed = door.scan(book).decision
    assert renewed is not None and renewed.outcome.value == "renewed"
    door.press(Button.DONE)
    sync_once(store, SyncClient(site.url, token), Settings(), clock)
    store.close()

    s = site.sign_in()
    log = site.get(s, "/events?type=renewal&kiosk=door-9").text
    assert log.count('<td class="when">') == 1 and "续借" in log and title in log
    exported = site.get(s, "/export/events.csv?type=renewal").text.lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert (row["type"], row["card"], row["barcode"], row["due"]) == (
        "renewal",
        PUPIL,
        book,
        "2026-12-07",
    )
    koc = site.get(s, "/export/koc?kiosk=door-9").text.splitlines()
    # Koha reads an issue of a copy to the card that has it as a renewal.
    assert [line.split("\t", 1)[1] for line in koc[1:]] == [
        f"return\t{book}",
        f"issue\t{PUPIL}\t{book}",
        f"issue\t{PUPIL}\t{book}",
    ]
    assert koc[3].startswith("2026-11-23 12:45:")

    # On 3 December the book is not overdue (due 7 December since the renewal) ...
    site.clock.now = local("2026-12-03 10:00").astimezone(UTC)
    s = site.sign_in()  # a new day, a new sign-in
    assert book not in site.get(s, "/overdue.csv?class=3-1").text
    # ... and on 9 December the notice gives the renewed date.
    site.clock.now += timedelta(days=6)
    s = site.sign_in()
    notice = site.get(s, "/overdue/3-1").text
    assert title in notice and "12月7日" in notice
    overdue = site.get(s, "/overdue.csv?class=3-1").text
    assert any(book in line and "2026-12-07" in line for line in overdue.splitlines())
