"""The reservations page (预约) and the reservations register, through the real server on
127.0.0.1 over SQLite and PostgreSQL: a librarian places a reservation for a teacher, sees it in
the list (filtered by reader and by state), is refused with the reason for a card or book that
does not exist, a reference book or the same reservation twice (nothing written), cancels it, and
finds the term's reservations in the printable register."""

from __future__ import annotations

import re

import requests
from sqlalchemy import func, select

from sync.server.tables import copies, readers, reservations
from tests.web.conftest import Site


def _a_teacher_and_books(site: Site) -> tuple[str, str, str, str]:
    """A teacher's card, a lendable copy, its ISBN and a reference copy of the school."""
    with site.engine.connect() as conn:
        card = conn.execute(
            select(readers.c.card).where(readers.c.role == "teacher", readers.c.active.is_(True))
            .order_by(readers.c.card).limit(1)
        ).scalar_one()  # fmt: skip
        lendable = conn.execute(
            select(copies.c.barcode, copies.c.isbn)
            .where(copies.c.loan_type == "loan", copies.c.active.is_(True),
                   copies.c.isbn.is_not(None), copies.c.isbn_only.is_(False))
            .order_by(copies.c.barcode).limit(1)
        ).one()  # fmt: skip
        reference = conn.execute(
            select(copies.c.barcode).where(copies.c.loan_type == "reference")
            .order_by(copies.c.barcode).limit(1)
        ).scalar_one()  # fmt: skip
    return str(card), str(lendable.barcode), str(lendable.isbn), str(reference)


def _reserve(site: Site, s: requests.Session, card: str, book: str) -> str:
    token = site.form_token(s, "/reservations")
    answer = site.post(s, "/reservations", data={"form_token": token, "card": card, "book": book})
    assert answer.status_code == 303
    page = site.get(s, answer.headers["location"])
    assert page.status_code == 200
    return page.text


def _count(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(reservations)).scalar_one())


def test_a_reservation_is_placed_listed_refused_and_cancelled_on_the_page(site: Site) -> None:
    s = site.sign_in()
    site.get(s, "/language/zh_CN?next=/")
    teacher, barcode, isbn, reference = _a_teacher_and_books(site)
    placed = _reserve(site, s, teacher, isbn)
    assert "预约好了：自助机下次同步时就知道了。" in placed
    assert "等待中" in placed and teacher in placed
    assert _count(site) == 1

    for card, book, said in [
        (teacher, isbn, "这位读者已经预约了这本书。"),
        ("NOBODY", barcode, "没有这个借书证；没有预约。"),
        (teacher, "L99999", "没有这个条码的书；没有预约。"),
        (teacher, reference, "工具书不外借，不能预约；没有预约。"),
    ]:
        assert said in _reserve(site, s, card, book), (card, book)
    assert _count(site) == 1  # nothing written by a refusal

    listed = site.get(s, f"/reservations?card={teacher}&state=waiting").text
    assert len(re.findall(r"/reservations/\d+/cancel", listed)) == 1
    assert "没有预约。" in site.get(s, "/reservations?state=collected").text
    [number] = re.findall(r"/reservations/(\d+)/cancel", listed)
    token = site.form_token(s, "/reservations")
    answer = site.post(s, f"/reservations/{number}/cancel", data={"form_token": token})
    assert "预约已取消。" in site.get(s, answer.headers["location"]).text
    assert "已取消" in site.get(s, "/reservations?state=cancelled").text
    again = site.post(s, f"/reservations/{number}/cancel",
                      data={"form_token": site.form_token(s, "/reservations")})  # fmt: skip
    assert "这个预约已经结束，不用取消。" in site.get(s, again.headers["location"]).text

    register = site.get(s, "/registers/reservations")
    assert register.status_code == 200 and "预约登记" in register.text
    assert teacher in register.text and "data-print" in register.text
    assert "/registers/reservations" in site.get(s, "/registers").text


def test_a_class_teacher_places_and_cancels_only_her_own(site: Site) -> None:
    from sync.server.web import staff
    from tests.web.conftest import PASSWORD, TEACHER

    teacher, barcode, isbn, _ = _a_teacher_and_books(site)
    with site.engine.begin() as conn:
        staff.add(conn, "zhao", staff.Role.TEACHER, PASSWORD, site.clock(), class_name="3-2",
                  card=teacher)  # fmt: skip
    # Another reader's reservation, placed by the librarian.
    librarian = site.sign_in()
    with site.engine.connect() as conn:
        pupil = conn.execute(
            select(readers.c.card).where(readers.c.role == "student").limit(1)
        ).scalar_one()
    _reserve(site, librarian, pupil, barcode)

    s = site.sign_in("zhao")
    site.get(s, "/language/zh_CN?next=/")
    # The form has no card to choose: whatever is posted, it is hers.
    token = site.form_token(s, "/reservations")
    answer = site.post(s, "/reservations", data={"form_token": token, "card": pupil, "book": isbn})
    assert "预约好了" in site.get(s, answer.headers["location"]).text
    mine = site.get(s, "/reservations").text
    assert teacher in mine and pupil not in mine
    with site.engine.connect() as conn:
        rows = {r.card: r.id for r in conn.execute(select(reservations))}
    assert set(rows) == {teacher, pupil}
    token = site.form_token(s, "/reservations")
    theirs = site.post(s, f"/reservations/{rows[pupil]}/cancel", data={"form_token": token})
    assert "只能取消自己的预约。" in site.get(s, theirs.headers["location"]).text
    token = site.form_token(s, "/reservations")
    own = site.post(s, f"/reservations/{rows[teacher]}/cancel", data={"form_token": token})
    assert "预约已取消。" in site.get(s, own.headers["location"]).text
    # The register stays the librarian's; a teacher's account without a card has no page.
    assert site.get(s, "/registers/reservations").status_code == 403
    assert site.get(site.sign_in(TEACHER, PASSWORD), "/reservations").status_code == 403
