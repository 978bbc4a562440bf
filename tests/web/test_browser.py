"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
is downloaded: deploy/test.sh installs the `chromium` package). One browser for the session, a
fresh context (cookies, viewport, language) per test.

Every page is photographed in both languages, on a desktop and on a phone, into
.artifacts/screenshots/web/; each photo is also checked for what a person would notice: the
Chinese font present, nothing wider than the screen, no text cut off by its box.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.core.decisions import Reason
from sync.server.tables import copies, loans, review_items
from tests.conftest import REPO
from tests.web.conftest import DAMAGED_BOOK, LIBRARIAN, PASSWORD, Site, demo, reopen_kiosk

SHOTS = REPO / ".artifacts" / "screenshots" / "web"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Every page, as the librarian reaches it (the teacher's pages are the class pages).
PAGES = {
    "today": "/",
    "review": "/review",
    "review-resolved": "/review?show=resolved",
    "overdue": "/overdue",
    "overdue-class": "/overdue/2-2",
    "weekly": "/weekly",
    "weekly-class": "/weekly/3-1",
    "poster": "/weekly/poster",
    "events": "/events",
    "events-refused-filters": "/events?class=' OR 1=1 --&from=yesterday",
    "catalogue": "/catalogue",
    "copy": f"/catalogue/copy?barcode={DAMAGED_BOOK}",
    "readers": "/readers",
    "registers-repairs": "/registers?register=repairs",
    "registers-withdrawals": "/registers?register=withdrawals",
    "registers-lost": "/registers?register=lost",
    "registers-reservations": "/registers/reservations",
    "reservations": "/reservations",
    "arrivals": "/arrivals",
    "rules": "/rules",
    "kiosks": "/kiosks",
    "not-found": "/no-such-page",
}

# What a person would notice, measured in the page: the CJK font loaded, the page no wider than
# the screen, no table that must be scrolled sideways, no text clipped by a box too small.
LAYOUT_CHECK = """() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  const clipped = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!el.textContent.trim() || style.display === 'none') continue;
    const hides = ['hidden', 'clip'].includes(style.overflowX) && !el.classList.contains('sr');
    if (hides && el.scrollWidth > el.clientWidth + 1) clipped.push(el.tagName + ' ' + el.className);
    // A table that scrolls sideways hides its last columns until one thinks of scrolling.
    const scrolls = el.classList.contains('table-wrap') || el.classList.contains('chart');
    if (scrolls && el.scrollWidth > el.clientWidth + 1) clipped.push('sideways ' + el.className);
  }
  return {wide, clipped, cjk: document.fonts.check("16px 'Noto Sans CJK SC'", "图书馆借阅")};
}"""


def _context(browser: Any, *, language: str = "zh_CN", phone: bool = False) -> Any:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN" if language == "zh_CN" else "en-GB",
    )
    context.set_default_timeout(15_000)
    return context


def _sign_in(page: Any, site: Site, name: str = LIBRARIAN, next_: str = "/") -> None:
    page.goto(site.url + next_)
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def page(browser: Any, sqlite_site: Site) -> Iterator[Any]:
    context = _context(browser)
    tab = context.new_page()
    yield tab
    context.close()


def test_signing_in_opens_the_page_asked_for_and_signing_out_ends_it(
    page: Any, sqlite_site: Site
) -> None:
    site = sqlite_site
    page.goto(site.url + "/weekly")
    assert "/signin?next=%2Fweekly" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#name", LIBRARIAN)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码不正确。"
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/weekly")
    assert page.locator("h1").inner_text() == "每周借阅统计"
    page.click("text=退出")
    page.wait_for_url(re.compile(r".*/signin$"))
    page.goto(site.url + "/")
    assert "/signin" in page.url


def test_a_roster_with_bad_rows_is_imported_with_each_bad_row_shown(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "借书证号,姓名,班级,年级,身份\n"
        "202630109,王小雨,3-1,3,学生\n"
        "202630110,,3-1,3,学生\n"
        "202630111,赵一,十三班,3,学生\n"
        "202630112,钱二,3-1,9,学生\n",
        encoding="utf-8-sig",
    )
    _sign_in(page, sqlite_site, next_="/readers")
    page.set_input_files("input[name=file]", str(roster))
    page.click("form[action='/readers/upload'] button[type=submit]")
    page.wait_for_load_state()
    status = page.locator("[role=status]").inner_text()
    assert "新增 1" in status and "拒绝 3 行" in status
    rows = page.locator("#row-errors tbody tr")
    assert rows.count() == 3
    lines = [rows.nth(i).locator("td").first.inner_text() for i in range(3)]
    assert lines == ["3", "4", "5"]
    assert "十三班" in rows.nth(1).inner_text()
    page.goto(sqlite_site.url + "/readers?q=202630109")
    assert "小雨" in page.locator("table").inner_text()


def test_an_inbox_item_is_resolved_with_one_click_and_logged(page: Any, sqlite_site: Site) -> None:
    site = sqlite_site
    with site.engine.connect() as conn:
        item = conn.execute(
            select(review_items.c.id).where(
                review_items.c.kind == "damage_reported", review_items.c.barcode == DAMAGED_BOOK
            )
        ).scalar_one()
    _sign_in(page, site, next_="/review")
    card = page.locator(f"#item-{item}")
    card.locator("input[name=note]").fill("书脊开胶")
    card.locator("button[value=sent_for_repair]").click()
    page.wait_for_load_state()
    assert page.locator(".notice").inner_text() == "已处理，并以您的名字记录在案。"
    assert page.locator(f"#item-{item}").count() == 0
    page.goto(site.url + "/registers?register=repairs")
    register = page.locator("table").inner_text()
    assert DAMAGED_BOOK in register and "书脊开胶" in register and LIBRARIAN in register
    page.goto(site.url + "/review?show=resolved")
    resolved = page.locator(f"#item-{item}").inner_text()
    assert "送修" in resolved and LIBRARIAN in resolved


def test_a_copy_withdrawn_here_is_refused_by_a_kiosk_after_its_sync(
    page: Any, sqlite_site: Site
) -> None:
    site = sqlite_site
    with site.engine.connect() as conn:
        lent = set(conn.execute(select(loans.c.barcode).where(loans.c.on_loan.is_(True))).scalars())
        shelf = [
            b
            for b in conn.execute(
                select(copies.c.barcode)
                .where(copies.c.active.is_(True), copies.c.loan_type == "loan")
                .order_by(copies.c.barcode)
            ).scalars()
            if b not in lent
        ]
    withdrawn, other = shelf[0], shelf[1]
    _sign_in(page, site, next_=f"/catalogue/copy?barcode={withdrawn}")
    page.fill("input[name=note]", "破损严重，剔除")
    page.click("button[value=withdrawn]")
    page.wait_for_load_state()
    assert page.locator("#copy-state").inner_text() == "已注销"
    kiosk = reopen_kiosk(site.kiosk_db)
    try:
        report = demo.sync_kiosk(kiosk, site.url, site.tokens["door-1"], kiosk.clock)
        assert "0 refused" in report
        kiosk.clock.advance(60)
        teacher = kiosk.door.scan("T0002")  # teachers may borrow at any time
        assert teacher.decision is not None and teacher.decision.reason is Reason.OK
        kiosk.clock.advance(5)
        refused = kiosk.door.scan(withdrawn).decision
        kiosk.clock.advance(5)
        lent_now = kiosk.door.scan(other).decision
    finally:
        kiosk.store.close()
    assert refused is not None and refused.reason is Reason.WITHDRAWN_COPY
    assert lent_now is not None and lent_now.reason is Reason.OK  # the kiosk lends the rest


def test_the_overdue_notices_print_one_class_per_a4_page(page: Any, sqlite_site: Site) -> None:
    _sign_in(page, sqlite_site, next_="/overdue")
    classes = page.locator("section.notice-page").count()
    assert classes >= 2
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 sheet at 96 dpi
    assert not page.locator("header.top").is_visible()
    assert not page.locator("button[data-print]").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "print-preview-overdue.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (SHOTS / "print-preview-overdue.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == classes
    # The week's poster for the noticeboard is one A4 sheet.
    page.goto(sqlite_site.url + "/weekly/poster")
    poster = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (SHOTS / "print-poster.pdf").write_bytes(poster)
    page.screenshot(path=str(SHOTS / "print-preview-poster.png"), full_page=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", poster)) == 1
    assert re.search(rb"/MediaBox \[0 0 59[45][.0-9]* 84[12][.0-9]*\]", pdf)  # A4, in points


def test_switching_language_changes_every_word_and_stays(page: Any, sqlite_site: Site) -> None:
    _sign_in(page, sqlite_site, next_="/weekly")
    assert page.locator("h1").inner_text() == "每周借阅统计"
    page.click("a:text('English')")
    page.wait_for_url(sqlite_site.url + "/weekly")
    assert page.locator("h1").inner_text() == "Weekly borrowing"
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav >> text=Overdue")
    assert page.locator("h1").inner_text() == "Overdue books"
    page.click("a:text('中文')")
    assert page.locator("h1").inner_text() == "逾期未还"


def test_on_a_phone_the_pages_fit_the_screen(browser: Any, sqlite_site: Site) -> None:
    context = _context(browser, phone=True)
    tab = context.new_page()
    try:
        _sign_in(tab, sqlite_site)
        for path in ("/", "/review", "/overdue", "/weekly", "/events", "/catalogue", "/readers"):
            tab.goto(sqlite_site.url + path)
            found = tab.evaluate(LAYOUT_CHECK)
            assert not found["wide"], path
            assert not found["clipped"], (path, found["clipped"])
        nav = tab.locator("header.top nav a")
        assert all(nav.nth(i).is_visible() for i in range(nav.count()))
        tab.click("nav >> text=逾期")
        assert tab.locator("h1").inner_text() == "逾期未还"
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_is_photographed_and_looks_right(
    browser: Any, sqlite_site: Site, language: str
) -> None:
    problems: list[str] = []
    for phone in (False, True):
        context = _context(browser, language=language, phone=phone)
        context.add_cookies([{"name": "library_lang", "value": language,
                              "url": sqlite_site.url}])  # fmt: skip
        tab = context.new_page()
        folder = SHOTS / language / ("phone" if phone else "desktop")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            tab.goto(sqlite_site.url + "/signin")
            shoot(tab, folder / "signin.png", problems)
            _sign_in(tab, sqlite_site)
            for name, act in ANSWERS.items():  # first: the registers then have entries
                act(tab, sqlite_site, folder)
                shoot(tab, folder / f"{name}.png", problems)
            for name, path in PAGES.items():
                tab.goto(sqlite_site.url + path)
                shoot(tab, folder / f"{name}.png", problems)
            teacher = context.new_page()
            teacher.context.clear_cookies()
            teacher.context.add_cookies([{"name": "library_lang", "value": language,
                                          "url": sqlite_site.url}])  # fmt: skip
            _sign_in(teacher, sqlite_site, name="li", next_="/weekly/3-1")
            shoot(teacher, folder / "teacher-weekly.png", problems)
            teacher.goto(sqlite_site.url + "/weekly/3-2")
            shoot(teacher, folder / "teacher-forbidden.png", problems)
        finally:
            context.close()
    assert not problems, problems


def _import_bad_roster(tab: Any, site: Site, folder: Path) -> None:
    roster = folder / "bad-roster.csv"
    roster.write_text("card,name,class,grade,role\n1,,3-1,3,student\n2,Li Lei,13,3,student\n",
                      encoding="utf-8")  # fmt: skip
    tab.goto(site.url + "/readers")
    tab.set_input_files("input[name=file]", str(roster))
    tab.click("form[action='/readers/upload'] button[type=submit]")


def _save_broken_rules(tab: Any, site: Site, folder: Path) -> None:
    tab.goto(site.url + "/rules")
    text = tab.locator("#source").input_value()
    tab.fill(
        "#source",
        text.replace("days = 14", 'days = "two weeks"').replace("grade_3 = 2", "grade_3 = -2"),
    )
    tab.click("form[action='/rules'] button[type=submit]")


def _register_a_kiosk(tab: Any, site: Site, folder: Path) -> None:
    tab.goto(site.url + "/kiosks")
    tab.fill("input[type=text][name=name]", f"door-{folder.parent.name}-{folder.name}"[:40])
    tab.click("form[action='/kiosks'] button[type=submit]")


def _mark_a_copy(tab: Any, site: Site, folder: Path) -> None:
    tab.goto(site.url + "/catalogue/copy?barcode=0001031")
    if tab.locator("button[value=lendable]").count():
        tab.click("button[value=lendable]")
    else:
        tab.click("button[value=reference]")


def _send_for_repair(tab: Any, site: Site, folder: Path) -> None:
    tab.goto(site.url + "/review")
    button = tab.locator("button[value=sent_for_repair]")
    if button.count():  # the phone's turn finds it done on the desktop
        button.first.click()


def _lose_and_withdraw(tab: Any, site: Site, folder: Path) -> None:
    for barcode, mark in (("0001005", "lost"), ("0001006", "withdrawn")):
        tab.goto(site.url + f"/catalogue/copy?barcode={barcode}")
        if tab.locator(f"button[value={mark}]").count():
            tab.fill("input[name=note]", "演示" if "zh" in str(folder) else "demo")
            tab.click(f"button[value={mark}]")


def _choose_arrivals(tab: Any, site: Site, folder: Path) -> None:
    for barcode in ("0001012", "0001003"):
        tab.goto(site.url + f"/catalogue/copy?barcode={barcode}")
        if tab.locator("button[value=add]").count():
            tab.click("button[value=add]")
    tab.goto(site.url + "/arrivals")


def _reserve(tab: Any, site: Site, folder: Path) -> None:
    tab.goto(site.url + "/reservations")
    tab.fill("input[name=card] >> nth=0", "T0001")
    tab.fill("input[name=book]", "0001005")
    tab.click("form[action='/reservations'][method=post] button[type=submit]")


# Pages that answer a form: what the librarian sees after she sends it.
ANSWERS = {
    "reservations-placed": _reserve,
    "review-sent-for-repair": _send_for_repair,
    "copy-withdrawn": _lose_and_withdraw,
    "arrivals-chosen": _choose_arrivals,
    "readers-import-errors": _import_bad_roster,
    "rules-problems": _save_broken_rules,
    "kiosks-new-token": _register_a_kiosk,
    "copy-marked": _mark_a_copy,
}


def shoot(tab: Any, path: Path, problems: list[str]) -> None:
    tab.wait_for_load_state()
    tab.screenshot(path=str(path), full_page=True)
    if tab.viewport_size["width"] < 600:  # what a phone shows first, and its first table
        tab.screenshot(path=str(path.with_name(path.stem + "-top.png")))
        table = tab.locator("main .table-wrap")
        box = table.first.bounding_box() if table.count() else None
        if box:
            clip = {
                "x": 0,
                "y": box["y"],
                "width": box["width"] + box["x"] * 2,
                "height": min(box["height"], 700),
            }
            tab.screenshot(
                path=str(path.with_name(path.stem + "-table.png")), clip=clip, full_page=True
            )
    found = tab.evaluate(LAYOUT_CHECK)
    if not found["cjk"]:
        problems.append(f"{path.name}: no CJK font")
    if found["wide"]:
        problems.append(f"{path.name}: wider than the screen")
    if found["clipped"]:
        problems.append(f"{path.name}: text cut off in {found['clipped'][:3]}")
