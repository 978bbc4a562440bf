"""The stocktake page (清点), through the real server on 127.0.0.1 over SQLite and PostgreSQL: the
librarian starts one, scans codes into its focused field one form post each (as a USB scanner
types a code and Enter), sees the running count and a tick for the last code; a second stocktake,
an empty or overlong code are refused with nothing written; the report (page, CSV, Excel) tells
what was seen, missing, on loan but seen, withdrawn and unknown, and stays as it was once closed;
a class teacher is not let in."""

from __future__ import annotations

import io
import re

import requests
from openpyxl import load_workbook
from sqlalchemy import func, select

from sync.server.tables import copies, copy_marks, loans, stocktake_scans, stocktakes
from tests.web.conftest import TEACHER, Site


def _books(site: Site) -> tuple[str, str, str, str]:
    """Two copies on the shelf (one to withdraw), one on loan, and the one left unscanned."""
    with site.engine.connect() as conn:
        out = set(conn.execute(select(loans.c.barcode).where(loans.c.on_loan.is_(True))).scalars())
        shelf = [
            b
            for b in conn.execute(
                select(copies.c.barcode)
                .where(copies.c.active.is_(True), copies.c.isbn_only.is_(False))
                .order_by(copies.c.barcode)
            ).scalars()
            if b not in out
        ]
    return shelf[0], shelf[1], sorted(out)[0], shelf[2]


def _post(site: Site, s: requests.Session, path: str, **data: str) -> str:
    """Post the form of ``path`` on the stocktake page; the page the browser is sent to."""
    page = site.get(s, "/stocktake").text
    action = re.search(rf'<form method="post" action="{path}"[^>]*>\s*<input type="hidden" '
                       r'name="form_token" value="([^"]+)"', page)  # fmt: skip
    assert action is not None, path
    answer = site.post(s, path, data={"form_token": action.group(1), **data})
    assert answer.status_code == 303
    followed = site.get(s, answer.headers["location"])
    assert followed.status_code == 200
    return followed.text


def _scans(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(stocktake_scans)).scalar_one())


def test_a_stocktake_is_started_scanned_reported_and_closed_on_the_page(site: Site) -> None:
    s = site.sign_in()
    site.get(s, "/language/zh_CN?next=/")
    seen, withdrawn, lent, missing = _books(site)
    token = site.form_token(s, f"/catalogue/copy?barcode={withdrawn}")
    marked = site.post(
        s, "/catalogue/mark", data={"form_token": token, "barcode": withdrawn, "mark": "withdrawn"}
    )
    assert marked.status_code == 303
    page = site.get(s, "/stocktake").text
    assert "开始清点" in page and 'href="/stocktake"' in page
    page = _post(site, s, "/stocktake/start", classes="")
    assert "清点已开始" in page and 'name="code" autofocus' in page
    page = _post(site, s, "/stocktake/scan", code=seen)
    assert "✓ 已清点。" in page and f'<b class="nowrap">{seen}</b>' in page
    assert '<b id="count">1</b>' in page
    page = _post(site, s, "/stocktake/scan", code=f"  {seen}\n")  # again, from another scanner
    assert "已经清点过了" in page and '<b id="count">1</b>' in page
    for code in (withdrawn, lent, "NO-SUCH-BOOK"):
        page = _post(site, s, "/stocktake/scan", code=code)
    assert "馆藏里没有这本书：记为未知条码。" in page and '<b id="count">4</b>' in page
    # Refused, nothing written: a second stocktake, an empty code, a code too long.
    before = _scans(site)
    start_again = site.post(
        s, "/stocktake/start", data={"form_token": site.form_token(s, "/catalogue"), "classes": ""}
    )
    assert start_again.status_code == 303
    assert "已经有一个清点在进行" in site.get(s, start_again.headers["location"]).text
    for bad in ("", "x" * 81, "a\x01b"):
        page = _post(site, s, "/stocktake/scan", code=bad)
        assert "条码应为1到80个字符" in page
    assert _scans(site) == before
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stocktakes)).scalar_one() == 1
    report = site.get(s, "/stocktake/1").text
    assert "清点仍在进行" in report
    assert re.search(r'<h2 id="missing">未见（缺失） \((\d+)\)</h2>', report)
    assert '<b id="count-on_loan_but_seen">1</b>' in report and lent in report
    assert '<b id="count-withdrawn">1</b>' in report and '<b id="count-unknown">1</b>' in report
    assert missing in report and "各大类进度" in report
    closed = _post(site, s, "/stocktake/close")
    assert "清点已结束，清点报告已保存。" in closed and "结束于" in closed
    csv = site.get(s, "/stocktake/1/report.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    rows = {
        line.split(",")[0]: line.split(",")[1] for line in csv.text.lstrip("\ufeff").splitlines()
    }
    assert rows[seen] == "已清点" and rows[missing] == "未见（缺失）"
    assert rows[lent] == "在架但记录为借出" and rows[withdrawn] == "在架但已注销或丢失"
    assert rows["NO-SUCH-BOOK"] == "未知条码"
    book = load_workbook(io.BytesIO(site.get(s, "/stocktake/1/report.xlsx").content))
    assert book.sheetnames == ["清点", "进度"]
    cells = {r[0]: r[1] for r in book["清点"].iter_rows(min_row=2, values_only=True)}
    assert cells[seen] == "已清点" and cells["NO-SUCH-BOOK"] == "未知条码"
    page = _post(site, s, "/stocktake/start", classes="I-K")  # a new one may start now
    assert "清点已开始" in page and "分类 IJK" in page


def test_the_page_speaks_english_and_refuses_a_bad_class_range(site: Site) -> None:
    s = site.sign_in()
    site.get(s, "/language/en?next=/")
    page = _post(site, s, "/stocktake/start", classes="K-I")
    assert "Classes: give 中图法 class letters such as I-K or I,K,Z." in page
    assert "Start a stocktake" in page
    page = _post(site, s, "/stocktake/start", classes="")
    assert "The stocktake is open: scan the shelves." in page
    page = _post(site, s, "/stocktake/scan", code="NO-SUCH-BOOK")
    assert "Not in the catalogue: counted as an unknown code." in page
    assert site.get(s, "/stocktake/999").status_code == 404


def test_a_class_teacher_cannot_see_the_stocktake(site: Site) -> None:
    s = site.sign_in(TEACHER)
    assert site.get(s, "/stocktake").status_code == 403
    assert site.get(s, "/stocktake/1/report.csv").status_code == 403


def _lost_form(site: Site, s: requests.Session, barcode: str) -> str:
    page = site.get(s, "/stocktake/1").text
    found = re.search(
        r'<form method="post" action="/stocktake/1/lost"><input type="hidden" name="form_token" '
        rf'value="([^"]+)"><input type="hidden" name="barcode" value="{re.escape(barcode)}">',
        page,
    )
    assert found is not None, barcode
    return found.group(1)


def _marks(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(copy_marks)).scalar_one())


def test_a_missing_copy_goes_to_the_lost_register_with_one_click(site: Site) -> None:
    s = site.sign_in()
    site.get(s, "/language/zh_CN?next=/")
    seen, _withdrawn, _lent, missing = _books(site)
    _post(site, s, "/stocktake/start", classes="")
    _post(site, s, "/stocktake/scan", code=seen)
    _post(site, s, "/stocktake/close")
    token = _lost_form(site, s, missing)
    answer = site.post(s, "/stocktake/1/lost", data={"form_token": token, "barcode": missing})
    assert answer.status_code == 303
    report = site.get(s, answer.headers["location"].split("#")[0]).text
    assert "已登记丢失。" in report
    assert missing in site.get(s, "/registers?register=lost").text
    with site.engine.connect() as conn:  # off the shelf: kiosks refuse to lend it
        assert (
            conn.execute(select(copies.c.active).where(copies.c.barcode == missing)).scalar()
            is False
        )
    # A copy the stocktake saw, or one already marked, is refused with nothing written.
    before = _marks(site)
    for barcode in (seen, missing, "NO-SUCH-BOOK"):
        token = site.form_token(s, "/stocktake/1")
        answer = site.post(s, "/stocktake/1/lost", data={"form_token": token, "barcode": barcode})
        said = site.get(s, answer.headers["location"].split("#")[0]).text
        assert "这本书在这次清点中不是缺失的，没有做任何更改。" in said
    assert _marks(site) == before
    assert site.post(s, "/stocktake/7/lost", data={"form_token": token}).status_code == 404


def test_a_copy_seen_while_on_loan_goes_to_the_review_inbox_with_one_click(site: Site) -> None:
    s = site.sign_in()
    site.get(s, "/language/zh_CN?next=/")
    seen, _withdrawn, lent, _missing = _books(site)
    _post(site, s, "/stocktake/start", classes="")
    _post(site, s, "/stocktake/scan", code=lent)
    _post(site, s, "/stocktake/scan", code=seen)
    for barcode, said in ((lent, "已送入待处理。"), (seen, "不是“在架但记录为借出”")):
        page = site.get(s, "/stocktake/1").text
        token = re.search(r'name="form_token" value="([^"]+)"', page)
        assert token is not None
        answer = site.post(
            s, "/stocktake/1/review", data={"form_token": token.group(1), "barcode": barcode}
        )
        assert said in site.get(s, answer.headers["location"].split("#")[0]).text
    inbox = site.get(s, "/review").text
    assert "清点时在架，但记录为借出" in inbox and lent in inbox
