"""The end of term on paper: Debian's Chromium prints the term's report and the term-end notices
to PDF; every page is A4, the report's tables are all there, and each class's notice is a page
of its own. The pages, as images, go to .artifacts/issue17/ to be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import distinct, func, select

from sync.server.tables import loans, readers
from tests.web.conftest import TEACHER, Site
from tests.web.test_browser import _context, _sign_in
from tests.web.test_print_browser import _printed

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any, sqlite_site: Site) -> Iterator[Any]:
    context = _context(browser)
    tab = context.new_page()
    yield tab
    context.close()


def test_the_terms_report_prints_on_a4_with_its_tables(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, next_="/term")
    assert "本学期借阅先进班级" in page.inner_text("main")
    assert page.locator("main table").count() == 4  # classes, grades, stars, met the target
    images = _printed(page, "term-report", tmp_path)
    assert 1 <= len(images) <= 6
    page.goto(sqlite_site.url + "/language/en?next=/term")
    assert "Best class of the term" in page.inner_text("main")
    _printed(page, "term-report-en", tmp_path)


def test_each_class_notice_of_books_still_out_is_an_a4_page(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    with sqlite_site.engine.connect() as conn:
        classes = conn.scalar(
            select(func.count(distinct(readers.c.class_name)))
            .select_from(loans.join(readers, readers.c.card == loans.c.card))
            .where(loans.c.on_loan.is_(True), readers.c.class_name.is_not(None))
        )
    _sign_in(page, sqlite_site, next_="/term/holding")
    assert page.locator("section.notice-page").count() >= classes
    images = _printed(page, "term-holding", tmp_path)
    assert len(images) >= page.locator("section.notice-page").count()


def test_a_teacher_prints_her_class_notice_from_her_pages(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, TEACHER, next_="/weekly/3-1")
    page.click("header.top nav a[href='/term/holding/3-1']")
    page.wait_for_load_state()
    assert page.locator("section.notice-page").count() == 1
    assert "三(1)班期末未还图书" in page.inner_text("main")
    assert len(_printed(page, "term-holding-teacher-3-1", tmp_path)) == 1
