"""The end of term on the librarian's pages, on SQLite and PostgreSQL: the term's report (page,
print and Excel) counts toward stars and targets only books kept at least
``targets.min_days_kept`` days, each title once per pupil, from loans a real kiosk made and
the real sync worker pushed; the term-end notices list every book still out, class by class,
and a class teacher sees her own class's notice only."""

from __future__ import annotations

import io
import re
from datetime import UTC
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from kiosk.clocks import ScriptedClock
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.imports import read_catalog, read_roster
from kiosk.store import Store
from sync.server import accounts
from sync.server.tables import copies, events, loans, readers
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.conftest import SAMPLE, local
from tests.web.conftest import TEACHER, Site

KEEPER, GAMER = "202430102", "202430103"  # both of 3-1


def _shelf_books(site: Site, count: int) -> list[str]:
    """Copies whose titles neither pupil has borrowed this term, each a title of its own (the
    sample school lends every copy it has: the test's door takes them back first)."""
    with site.engine.connect() as conn:
        theirs = select(events.c.barcode).where(
            events.c.type == "checkout", events.c.card.in_([KEEPER, GAMER])
        )
        read_isbns = set(
            conn.scalars(select(copies.c.isbn).where(copies.c.barcode.in_(theirs))).all()
        )
        out = select(loans.c.barcode).where(
            loans.c.on_loan.is_(True), loans.c.card.in_([KEEPER, GAMER])
        )
        rows = conn.execute(
            select(copies.c.barcode, copies.c.isbn)
            .where(copies.c.loan_type == "loan", copies.c.active.is_(True))
            .where(copies.c.isbn_only.is_(False), copies.c.barcode.not_in(out))
            .order_by(copies.c.barcode)
        ).all()
    chosen: list[str] = []
    seen = set(read_isbns)
    for barcode, isbn in rows:
        if isbn not in seen:
            seen.add(isbn)
            chosen.append(str(barcode))
    assert len(chosen) >= count
    return chosen[:count]


def _pupils_sheet(site: Site, s: requests.Session) -> dict[str, tuple[int, int]]:
    answer = site.get(s, "/term.xlsx")
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames[0] == "班级"
    rows = list(book["全体学生"].iter_rows(values_only=True))
    assert rows[0][:5] == ("班级", "借书证号", "姓名", "借书册数", "计入册数")
    return {str(r[1]): (int(r[3]), int(r[4])) for r in rows[1:]}


def test_books_kept_less_than_a_day_or_borrowed_again_do_not_make_a_star(
    site: Site, tmp_path: Path
) -> None:
    x, y, a, b = _shelf_books(site, 4)
    with site.engine.begin() as conn:
        token = accounts.add_kiosk(conn, "door-9", site.clock())
    store = Store.create(tmp_path / "door-9.db", "door-9")
    store.save_policy((SAMPLE / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(read_roster(SAMPLE / "roster.csv").items)
    store.import_copies(read_catalog(SAMPLE / "catalog.csv").items)
    clock = ScriptedClock(local("2026-11-24 10:05"), synced=True)
    door = Door(store, clock)

    def at(moment: str) -> None:
        clock.advance((local(moment) - clock.read().wall).total_seconds())

    def borrow(card: str, *books: str) -> None:
        for code in (card, *books):
            clock.advance(5)
            decision = door.scan(code).decision
            assert decision is not None and decision.outcome.value != "refused", code
        door.press(Button.DONE)

    def give_back(*books: str) -> None:
        for code in books:
            clock.advance(5)
            decision = door.scan(code).decision
            assert decision is not None and decision.outcome.value == "returned", code

    for code in (x, y, a, b):
        clock.advance(5)
        door.scan(code)  # brought back by whoever had it
    # Tuesday's free time (大课间): the gamer scans two books out and straight back in, twice.
    for _ in range(2):
        borrow(GAMER, a, b)
        give_back(a, b)
    borrow(KEEPER, x)
    at("2026-11-25 10:05")
    give_back(x)  # kept a day: it counts
    borrow(KEEPER, x)  # the same book again
    at("2026-11-26 10:05")
    give_back(x)  # kept a day, but the same title counts once
    borrow(KEEPER, y)
    give_back(y)  # back the same day: does not count

    site.clock.now = local("2026-11-26 13:00").astimezone(UTC)
    s = site.sign_in()
    before = _pupils_sheet(site, s)
    page_before = site.get(s, "/term").text
    sync_once(store, SyncClient(site.url, token), Settings(), clock)
    store.close()
    after = _pupils_sheet(site, s)

    assert after[KEEPER][0] - before[KEEPER][0] == 3  # borrowed three times ...
    assert after[KEEPER][1] - before[KEEPER][1] == 1  # ... one book read
    assert after[GAMER][0] - before[GAMER][0] == 4
    assert after[GAMER][1] == before[GAMER][1]
    page = site.get(s, "/term").text
    assert "至少1天" in page and "本学期借阅先进班级" in page

    def class_row(text: str) -> list[str]:
        row = re.search(r"三\(1\)班</td>(.*?)</tr>", text)
        assert row is not None
        return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))

    # Pupils, books borrowed, books that count, per pupil, met the target.
    assert int(class_row(page)[1]) - int(class_row(page_before)[1]) == 7
    assert int(class_row(page)[2]) - int(class_row(page_before)[2]) == 1


def test_the_report_ranks_classes_by_books_that_count_and_names_the_stars(site: Site) -> None:
    s = site.sign_in()
    page = site.get(s, "/term").text
    assert page.count('<span class="star">★</span>') == 10
    best = re.search(r"本学期借阅先进班级：([^，]+)，人均([\d.]+)本", page)
    assert best is not None
    stars = re.findall(r'<span class="star">★</span> ([^<]+)</td><td class="nowrap">[^<]*</td>'
                       r'<td class="num">(\d+)</td>', page)  # fmt: skip
    counts = [int(n) for _, n in stars]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    book = load_workbook(io.BytesIO(site.get(s, "/term.xlsx").content), read_only=True)
    assert book.sheetnames == ["班级", "年级", "读书之星", "达到目标的学生", "全体学生"]
    classes = list(book["班级"].iter_rows(values_only=True))[1:]
    # The term's borrowing per class is the weekly page's, summed.
    weekly = site.get(s, "/weekly.csv").text.lstrip("\ufeff").splitlines()[1:]
    term_totals = {line.split(",")[0]: int(line.split(",")[-1]) for line in weekly}
    assert {str(r[0]): int(r[2]) for r in classes} == term_totals
    per_pupil = [float(r[4]) for r in classes]
    assert per_pupil == sorted(per_pupil, reverse=True)
    grades = list(book["年级"].iter_rows(values_only=True))[1:]
    assert sum(int(g[3]) for g in grades) == sum(term_totals.values())
    site.get(s, "/language/en?next=/term")
    english = site.get(s, "/term").text
    assert "Best class of the term" in english and "Reading stars of the term" in english


def test_the_term_end_notices_list_every_book_out_by_class(site: Site) -> None:
    with site.engine.connect() as conn:
        out_31 = conn.scalar(
            select(func.count())
            .select_from(loans.join(readers, readers.c.card == loans.c.card))
            .where(loans.c.on_loan.is_(True), readers.c.class_name == "3-1")
        )
        out_all = conn.scalar(select(func.count()).where(loans.c.on_loan.is_(True)))
    assert out_31 and out_all
    s = site.sign_in()
    page = site.get(s, "/term/holding").text
    assert f"共有{out_all}本书借出未还" in page
    assert "本学期" in page and "结束" in page
    assert page.count('<section class="notice-page">') >= 2
    teacher = site.sign_in(TEACHER)
    assert site.get(teacher, "/term/holding").headers["location"] == "/term/holding/3-1"
    own = site.get(teacher, "/term/holding/3-1")
    assert own.status_code == 200 and f"共有{out_31}本书借出未还" in own.text
    assert own.text.count('<section class="notice-page">') == 1
    assert site.get(teacher, "/term/holding/3-2").status_code == 403
    assert site.get(teacher, "/term").status_code == 403
    assert site.get(teacher, "/term.xlsx").status_code == 403
    assert site.get(s, "/term/holding/nonsense").status_code == 404


@pytest.mark.parametrize("value", ["-1", "31", '"a day"', "true"])
def test_a_bad_min_days_kept_is_named_by_its_key(value: str) -> None:
    text = (SAMPLE / "policy.toml").read_text(encoding="utf-8")
    assert parse_policy(text).min_days_kept == 1
    with pytest.raises(PolicyError) as caught:
        parse_policy(text.replace("min_days_kept = 1", f"min_days_kept = {value}"))
    assert any(
        p.startswith("targets.min_days_kept: expected a whole number from 0 to 30")
        for p in caught.value.problems
    ), caught.value.problems
    assert parse_policy(text.replace("min_days_kept = 1", "min_days_kept = 0")).min_days_kept == 0


def test_a_loan_a_kiosk_sent_without_a_due_date_is_still_listed(site: Site) -> None:
    with site.engine.begin() as conn:
        barcode = conn.scalar(
            select(loans.c.barcode).where(loans.c.on_loan.is_(True)).order_by(loans.c.barcode)
        )
        conn.execute(update(loans).where(loans.c.barcode == barcode).values(due=None))
        title = conn.scalar(select(copies.c.title).where(copies.c.barcode == barcode))
    s = site.sign_in()
    answer = site.get(s, "/term/holding")
    assert answer.status_code == 200 and f'<td>{title}</td><td class="nowrap">—</td>' in answer.text
    assert site.get(s, "/overdue").status_code == 200
