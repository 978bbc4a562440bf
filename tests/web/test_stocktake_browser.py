"""The stocktake page in a real browser (Debian's Chromium, headless), used as at the shelves: a
USB scanner types each code into the focused field and presses Enter; no click in between. The
page comes back with the field focused again, the running count and a tick for the last code;
photographed on a desktop and a phone and checked as every page is (the CJK font, nothing wider
than the screen, no text cut off)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_browser import LAYOUT_CHECK, SHOTS, _context, _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(params=["desktop", "phone"])
def tab(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Any, str]]:
    context = _context(browser, phone=request.param == "phone")
    yield context.new_page(), request.param
    context.close()


def test_a_scanner_counts_books_into_the_focused_field(
    tab: tuple[Any, str], sqlite_site: Site
) -> None:
    page, device = tab
    folder = SHOTS / "zh_CN" / device
    folder.mkdir(parents=True, exist_ok=True)
    _sign_in(page, sqlite_site, next_="/stocktake")
    page.fill("input[name=classes]", "I")
    page.click("form[action='/stocktake/start'] button[type=submit]")
    page.wait_for_load_state()
    for n, code in enumerate(("0001002", "0001003", "0001002", "NO-SUCH-BOOK"), start=1):
        assert page.evaluate("document.activeElement.name") == "code", n
        page.keyboard.type(code)  # as a USB scanner types: keys, then Enter
        with page.expect_navigation():  # the post, then the page it is sent back to
            page.keyboard.press("Enter")
        page.wait_for_load_state()
    said = page.locator("#said").inner_text()
    assert "馆藏里没有这本书：记为未知条码。" in said and "NO-SUCH-BOOK" in said
    assert page.locator("#count").inner_text() == "3"
    layout = page.evaluate(LAYOUT_CHECK)
    assert layout == {"wide": False, "clipped": [], "cjk": True}, layout
    page.screenshot(path=str(folder / "stocktake.png"), full_page=True)
    page.goto(sqlite_site.url + "/stocktake/1")
    seen = [int(page.locator(f"#count-{f}").inner_text()) for f in ("seen", "on_loan_but_seen")]
    assert sum(seen) == 2  # (the demo school may have lent either)
    assert page.locator("#count-unknown").inner_text() == "1"
    layout = page.evaluate(LAYOUT_CHECK)
    assert layout == {"wide": False, "clipped": [], "cjk": True}, layout
    page.screenshot(path=str(folder / "stocktake-report.png"), full_page=True)
