"""The printed sheets over real HTTP, on SQLite and PostgreSQL: who gets which cards, labels and
class sheets, what a teacher may print, and a clear answer (Chinese first, then English) to every
request that cannot be printed. How they come out on paper is test_print_browser.py's."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import insert

from sync.server.tables import readers
from tests.web.conftest import TEACHER, Site

SVG = '<svg class="barcode"'


def _cards(html: str) -> list[str]:
    return re.findall(r'class="lib-card kind-reader" data-card="([^"]+)"', html)


def test_a_class_gets_a_card_for_each_of_its_pupils_with_its_barcode(site: Site) -> None:
    s = site.sign_in()
    answer = site.get(s, "/print/cards?class=3-1")
    assert answer.status_code == 200, answer.text
    assert _cards(answer.text) == ["202430101", "202430102", "202430103"]
    assert answer.text.count(SVG) == 3
    assert "三(1)班 · 3-1" in answer.text
    assert "阳光小学图书室" in answer.text and "借书证" in answer.text
    # The same class written the school's way gives the same sheet.
    same = site.get(s, "/print/cards?class=三年级(1)班")
    assert _cards(same.text) == _cards(answer.text)


def test_the_whole_roster_is_ten_cards_to_a_sheet_with_the_teachers_last(site: Site) -> None:
    s = site.sign_in()
    html = site.get(s, "/print/cards?all=1").text
    sheets = html.split('class="sheet cards-sheet"')[1:]
    assert [len(_cards(sheet)) for sheet in sheets] == [10, 10, 10, 8]
    cards = _cards(html)
    assert len(cards) == len(set(cards)) == 38
    assert cards[:3] == ["202610101", "202610102", "202610103"]  # grade 1 first
    assert "教师 · Teacher" in sheets[-1]
    grade = site.get(s, "/print/cards?grade=2").text
    assert {c[:6] for c in _cards(grade)} == {"202520"}  # both classes of grade 2, nobody else
    assert len(_cards(grade)) == 6


def test_a_class_sheet_lists_every_pupil_of_each_class_of_a_grade(site: Site) -> None:
    s = site.sign_in()
    html = site.get(s, "/print/class-sheet?grade=1").text
    assert re.findall(r'class="sheet class-sheet" data-class="([^"]+)"', html) == ["1-1", "1-2"]
    assert "一(1)班 · 借书证条码" in html and "高明安"[1:] in html
    assert html.count(SVG) == 6


def test_labels_run_in_barcode_order_from_the_first_copy_and_stop_at_the_end(site: Site) -> None:
    s = site.sign_in()
    html = site.get(s, "/print/labels?from=0001030&count=24").text
    labels = re.findall(r'class="copy-label" data-barcode="([^"]+)"', html)
    assert labels == ["0001030", "0001031", "0001032", "0001033", "0001034"]
    assert html.count(SVG) == 5
    assert "现代汉语词典(第7版)" in html
    # Fewer than asked: the page says the catalogue ends there (an ISBN-only copy has no label).
    assert "只有 5 本" in html
    full = site.get(s, "/print/labels?from=0001001&count=24").text
    assert len(re.findall(r'class="copy-label" data-barcode=', full)) == 24


def test_a_teacher_prints_her_own_class_only(site: Site) -> None:
    s = site.sign_in(TEACHER)
    own = site.get(s, "/print/cards?class=3-1")
    assert own.status_code == 200 and len(_cards(own.text)) == 3
    assert site.get(s, "/print/class-sheet?class=3-1").status_code == 200
    for path in (
        "/print/cards?class=3-2",
        "/print/cards?grade=3",
        "/print/cards?all=1",
        "/print/class-sheet?class=1-1",
        "/print/labels?from=0001001&count=3",
        "/print",
    ):
        answer = site.get(s, path)
        assert answer.status_code == 403, path
        assert SVG not in answer.text
    # Her pages link to her class's sheets.
    assert 'href="/print/cards?class=3-1"' in site.get(s, "/weekly/3-1").text


def test_only_a_signed_in_visitor_gets_a_sheet(site: Site) -> None:
    answer = site.get(site.session(), "/print/cards?class=3-1")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


@pytest.mark.parametrize(
    ("path", "status", "chinese", "english"),
    [
        (
            "/print/cards?class=6-9",
            404,
            "名单上没有 6-9 班的人",
            "Nobody on the roster is in class 6-9",
        ),
        ("/print/cards?class=' OR 1=1 --", 400, "不是一个班级", "is not a class"),
        ("/print/cards?grade=x", 400, "不是年级", "is not a grade"),
        ("/print/cards", 400, "请选择要打印的班级或年级", "Choose a class or a grade"),
        ("/print/cards?class=3-1&grade=3", 400, "只能选", "not both"),
        ("/print/class-sheet?all=1", 400, "请选择要打印的班级或年级", "Choose a class or a grade"),
        ("/print/labels?from=0001001&count=abc", 400, "不是标签的数量", "is not a number"),
        ("/print/labels?from=0001001&count=0", 400, "至少", "ask for 1 or more"),
        ("/print/labels?from=0001001&count=100000", 400, "最多", "At most 480 labels"),
        ("/print/labels?from=0001001&count=-3", 400, "不是标签的数量", "is not a number"),
        ("/print/labels?from=0001001", 400, "张标签", "how many labels"),
        ("/print/labels?count=5", 400, "第一本", "first copy"),
        ("/print/labels?from=NOPE&count=5", 404, "没有条码为", "No copy on the shelf"),
        ("/print/labels?from=9787419254125&count=5", 404, "没有条码为", "No copy on the shelf"),
    ],
)
def test_what_cannot_be_printed_is_said_in_chinese_then_english(
    site: Site, path: str, status: int, chinese: str, english: str
) -> None:
    s = site.sign_in()
    for language in ("zh_CN", "en"):
        s.cookies.set("library_lang", language)
        answer = site.get(s, path)
        assert answer.status_code == status, (path, answer.text)
        assert SVG not in answer.text
        zh = answer.text.index('class="refusal-zh"')
        en = answer.text.index('class="refusal-en"')
        assert zh < en
        assert chinese in answer.text[zh:en], answer.text[zh:en]
        assert english in answer.text[en:]


def test_cards_for_two_thousand_readers_render_in_under_five_seconds(sqlite_site: Site) -> None:
    """The issue's bound for a whole school's cards (bench_web's floor for the sheets)."""
    site = sqlite_site
    now = site.clock()
    with site.engine.begin() as conn:
        conn.execute(
            insert(readers),
            [
                {
                    "card": f"2027{i:05d}",
                    "given_name": "小明",
                    "role": "student",
                    "class_name": f"{1 + i % 6}-{1 + i // 6 % 8}",
                    "grade": 1 + i % 6,
                    "active": True,
                    "deleted": False,
                    "revision": 800_000 + i,
                    "updated_at": now,
                }
                for i in range(2000)
            ],
        )
    s = site.sign_in()
    # The server answers in this process: its CPU time is the page's cost whatever else the
    # shared test machine runs meanwhile (its wall time is bounded loosely, for a page stuck).
    started, cpu = time.perf_counter(), time.process_time()
    answer = site.get(s, "/print/cards?all=1")
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert answer.status_code == 200
    assert len(_cards(answer.text)) == 2038
    assert answer.text.count('class="sheet cards-sheet"') == 204
    assert cpu < 5.0, f"{cpu:.2f} s of CPU"
    assert took < 20.0, f"{took:.2f} s"
