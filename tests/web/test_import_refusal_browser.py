"""The refusal of an Excel-stripped catalogue in a real browser (Debian's Chromium, headless):
its reasons in Chinese, "import anyway" (强制导入) and "add only" (只添加) on the page,
photographed on a desktop and a phone into .artifacts/screenshots/web/zh_CN/ and checked as every
page is (the CJK font, nothing wider than the screen, no text cut off); then the same file,
chosen again, goes in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE
from tests.web.conftest import Site
from tests.web.test_browser import LAYOUT_CHECK, SHOTS, _context, _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(params=["desktop", "phone"])
def tab(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[Any, str]]:
    context = _context(browser, phone=request.param == "phone")
    yield context.new_page(), request.param
    context.close()


def _stripped(folder: Path) -> Path:
    """The sample catalogue as Excel saves it when the barcode column is a number."""
    lines = (SAMPLE / "catalog.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [lines[0]] + [str(int(line.split(",", 1)[0])) + "," + line.split(",", 1)[1]
                         for line in lines[1:]]  # fmt: skip
    path = folder / "馆藏.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def test_the_refusal_page_offers_import_anyway(
    tab: tuple[Any, str], sqlite_site: Site, tmp_path: Path
) -> None:
    page, device = tab
    resaved = _stripped(tmp_path)
    folder = SHOTS / "zh_CN" / device
    folder.mkdir(parents=True, exist_ok=True)
    _sign_in(page, sqlite_site, next_="/catalogue")
    upload = page.locator("section.card", has=page.locator("form[action='/catalogue/upload']"))
    assert "只添加（文件中没有的图书不会被停用）" in upload.inner_text()
    upload.screenshot(path=str(folder / "catalogue-import-form.png"))
    page.set_input_files("form[action='/catalogue/upload'] input[name=file]", str(resaved))
    page.click("form[action='/catalogue/upload'] button[type=submit]")
    page.wait_for_load_state()
    reasons = page.locator(".problems li")
    assert reasons.count() == 2
    zeros = "文件中有 29 个号码与服务器上已有的号码只差开头的 0"
    assert reasons.nth(0).inner_text().startswith(zeros)
    assert reasons.nth(1).inner_text().startswith("导入这个文件会停用 29 册图书")
    anyway = page.locator("#confirm button[value=force]")
    assert anyway.inner_text() == "强制导入" and anyway.is_visible()
    assert page.locator("#confirm button[value=add_only]").inner_text() == "只添加"
    page.screenshot(path=str(folder / "import-refused.png"), full_page=True)
    found = page.evaluate(LAYOUT_CHECK)
    assert found["cjk"] and not found["wide"] and not found["clipped"], found

    page.set_input_files("#confirm input[name=file]", str(resaved))
    anyway.click()
    page.wait_for_load_state()
    status = page.locator("[role=status]").inner_text()
    assert "新增 29" in status
    page.screenshot(path=str(folder / "import-forced.png"), full_page=True)
