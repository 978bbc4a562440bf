"""Copies known only by their ISBN get barcodes of their own from the print page, on SQLite and
PostgreSQL: the catalogue knows them by it at once, their labels print, a kiosk lends them by it
after its next sync while their ISBN still works, and the school's catalogue file (which still
lists them by ISBN alone) neither brings the old copies back nor retires the new. A range that
runs into a code already in use is refused whole, in Chinese then English, and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from kiosk.core.decisions import Outcome, Reason
from kiosk.core.session import Button
from kiosk.imports import read_catalog
from sync.server import accounts, school_data
from sync.server.relabels import codes_from
from sync.server.tables import copies, copy_relabels, loans, reservations
from tests.conftest import SAMPLE
from tests.web.conftest import TEACHER, Site, demo, reopen_kiosk


def _waiting(site: Site) -> list[Any]:
    """The sample's ISBN-only copies on the shelf, as the page offers them."""
    with site.engine.connect() as conn:
        lent = select(loans.c.barcode).where(loans.c.on_loan.is_(True))
        return list(
            conn.execute(
                select(copies.c.barcode, copies.c.isbn, copies.c.title)
                .where(
                    copies.c.isbn_only.is_(True),
                    copies.c.active.is_(True),
                    copies.c.barcode.not_in(lent),
                )
                .order_by(copies.c.isbn)
            )
        )


def _give(site: Site, s: Any, first: str, count: int | str) -> Any:
    token = site.form_token(s, "/print")
    return site.post(
        s, "/print/labels/new", data={"form_token": token, "first": first, "count": str(count)}
    )


def test_isbn_only_copies_get_barcodes_the_catalogue_and_the_kiosks_know(site: Site) -> None:
    waiting = _waiting(site)
    assert len(waiting) == 1  # of the sample's five ISBN-only copies, four are out on loan
    book = waiting[0]
    s = site.sign_in()
    assert "在架的图书中有 1 本只有 ISBN" in site.get(s, "/print").text
    answer = _give(site, s, "L0001", 5)  # as many as wait, however many are asked for
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/print/labels?from=L0001&count=1&given=1"
    labels = site.get(s, answer.headers["location"]).text
    assert re.findall(r'data-barcode="([^"]+)"', labels) == ["L0001"]
    assert book.title in labels
    assert "自助借还机下次同步后就认得" in labels
    with site.engine.connect() as conn:
        new = conn.execute(select(copies).where(copies.c.barcode == "L0001")).one()
        old = conn.execute(select(copies).where(copies.c.barcode == book.barcode)).one()
    assert (new.isbn, new.title) == (book.isbn, book.title)
    assert new.active and not new.deleted and new.isbn_only
    assert old.deleted and not old.active
    assert site.get(s, "/catalogue/copy?barcode=L0001").status_code == 200
    assert "在架的图书中有 0 本只有 ISBN" in site.get(s, "/print").text

    with site.engine.begin() as conn:  # door-1's token on this database (each was built apart)
        accounts.revoke_kiosk(conn, "door-1", site.clock())
        token = accounts.add_kiosk(conn, "door-1", site.clock())
    kiosk = reopen_kiosk(site.kiosk_db)
    try:
        report = demo.sync_kiosk(kiosk, site.url, token, kiosk.clock)
        assert "0 refused" in report
        kiosk.clock.advance(60)
        teacher = kiosk.door.scan("T0002")  # teachers may borrow at any time
        assert teacher.decision is not None and teacher.decision.reason is Reason.OK
        kiosk.clock.advance(5)
        by_isbn = kiosk.door.scan(book.isbn).decision  # the label is not on yet
        kiosk.clock.advance(5)
        kiosk.door.press(Button.DONE)
        kiosk.clock.advance(120)
        by_label = kiosk.door.scan("L0001").decision  # now it is: the book comes back by it
    finally:
        kiosk.store.close()
    assert by_isbn is not None and by_isbn.reason is Reason.OK
    assert (by_isbn.outcome, by_isbn.barcode) == (Outcome.BORROWED, "L0001")
    assert by_label is not None and by_label.reason is Reason.OK
    assert (by_label.outcome, by_label.barcode) == (Outcome.RETURNED, "L0001")


def test_the_catalogue_file_still_listing_them_by_isbn_keeps_the_new_barcodes(
    site: Site,
) -> None:
    waiting = _waiting(site)
    s = site.sign_in()
    assert _give(site, s, "L0001", 1).status_code == 303
    with site.engine.begin() as conn:
        counts = school_data.import_copies(
            conn,
            read_catalog(SAMPLE / "catalog.csv").items,
            site.clock(),
            deactivate_missing=True,
        )
        assert counts.added == 0 and counts.deactivated == 0
        new = conn.execute(select(copies).where(copies.c.barcode == "L0001")).one()
        old = conn.execute(select(copies).where(copies.c.barcode == waiting[0].barcode)).one()
    assert new.active and not new.deleted
    assert old.deleted and not old.active


@pytest.mark.parametrize(
    ("first", "count", "status", "chinese", "english"),
    [
        ("0001030", 5, 409, "新条码会和 0001030 重复", "already the barcode of “我们的太空”"),
        ("202430101", 3, 409, "是一位读者的借书证号", "card (3-1)"),
        ("ABC", 3, 400, "必须以数字结尾", "must end in a number"),
        ("9787419254125", 1, 400, "不能是 ISBN", "must not be an ISBN"),
        ("L0001", "lots", 400, "不是标签的数量", "is not a number of labels"),
        ("L0001", 100_000, 400, "最多", "At most 480 labels"),
    ],
)
def test_a_range_that_cannot_be_given_is_refused_whole(
    site: Site, first: str, count: int | str, status: int, chinese: str, english: str
) -> None:
    before = len(_waiting(site))
    s = site.sign_in()
    answer = _give(site, s, first, count)
    assert answer.status_code == status, answer.text
    zh, en = answer.text.index("refusal-zh"), answer.text.index("refusal-en")
    assert chinese in answer.text[zh:en]
    assert english in answer.text[en:]
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(copy_relabels)).scalar_one() == 0
    assert len(_waiting(site)) == before


def test_new_barcodes_count_up_keeping_their_width() -> None:
    assert codes_from("L0098", 3) == ["L0098", "L0099", "L0100"]
    assert codes_from("2026-07", 2) == ["2026-07", "2026-08"]
    assert codes_from("L99", 2) is None  # would need a third digit: refused as runs_out
    assert codes_from("ABC", 1) is None
    assert codes_from("9787419254125", 1) is None  # an ISBN is the cover's, not a label's


def test_a_copy_someone_reserved_keeps_its_name_until_the_reservation_closes(site: Site) -> None:
    book = _waiting(site)[0]
    with site.engine.begin() as conn:
        conn.execute(
            insert(reservations).values(
                card="202430101",
                barcode=book.barcode,
                state="waiting",
                placed_at=site.clock(),
                placed_by="wang",
            )
        )
    s = site.sign_in()
    answer = _give(site, s, "L0001", 1)
    assert answer.status_code == 404
    assert "在架的图书中没有需要新条码的" in answer.text
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(copy_relabels)).scalar_one() == 0


def test_the_form_sent_twice_gives_barcodes_once(site: Site) -> None:
    s = site.sign_in()
    token = site.form_token(s, "/print")
    form = {"form_token": token, "first": "L0001", "count": "1"}
    assert site.post(s, "/print/labels/new", data=form).status_code == 303
    again = site.post(s, "/print/labels/new", data={**form, "first": "L0500"})
    assert again.status_code == 303
    assert again.headers["location"] == "/print?notice=already_done"
    with site.engine.connect() as conn:
        given = conn.execute(select(copy_relabels.c.barcode)).scalars().all()
    assert given == ["L0001"]


def test_a_teacher_cannot_give_barcodes(site: Site) -> None:
    librarian = site.sign_in()
    token = site.form_token(librarian, "/print")
    teacher = site.sign_in(TEACHER)
    answer = site.post(
        teacher, "/print/labels/new", data={"form_token": token, "first": "L0001", "count": "1"}
    )
    assert answer.status_code == 403
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(copy_relabels)).scalar_one() == 0
