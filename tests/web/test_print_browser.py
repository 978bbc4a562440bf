"""The printed sheets on paper: Debian's Chromium prints each to PDF (Playwright's page.pdf),
poppler's pdftoppm turns every page into an image, and zbar's zbarimg reads every barcode on it
back. Each sheet must be one A4 page, hold what it says, and every code on it must read as the
code it was printed for. The pages, as images, go to .artifacts/issue17/ to be looked at.

Needs the Debian packages chromium, poppler-utils (pdftoppm, pdfinfo) and zbar-tools (zbarimg).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from sync.server.tables import readers
from tests.conftest import REPO
from tests.web.conftest import TEACHER, Site
from tests.web.test_browser import DESKTOP, LAYOUT_CHECK, PHONE, _context, _sign_in

pytestmark = pytest.mark.browser

SHOTS = REPO / ".artifacts" / "issue17"
MM = 96 / 25.4  # CSS pixels per millimetre
DECODE_DPI = 300  # an office laser printer's; the bars are at least 0.19 mm (2.2 dots)
LOOK_DPI = 100  # the images kept for a person to look at


@pytest.fixture
def page(browser: Any, sqlite_site: Site) -> Iterator[Any]:
    context = _context(browser)
    tab = context.new_page()
    yield tab
    context.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed: deploy/test.sh installs poppler-utils and zbar-tools"
        )
    return found


def _printed(page: Any, name: str, tmp_path: Path) -> list[Path]:
    """The page printed to PDF as Chromium prints it; one image per PDF page, after checking that
    every page is A4. Kept in .artifacts/issue17/ as NAME.pdf and NAME-N.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SHOTS / f"{name}.pdf"
    pdf.write_bytes(page.pdf(format="A4", print_background=True, prefer_css_page_size=True))
    info = subprocess.run(
        [_tool("pdfinfo"), "-f", "1", "-l", "999", str(pdf)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sizes, info
    for width, height in sizes:  # A4 is 595.28 x 841.89 points
        assert abs(float(width) - 595.3) < 1.5 and abs(float(height) - 841.9) < 1.5, info
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(LOOK_DPI), "-png", str(pdf), str(SHOTS / name)], check=True
    )
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(DECODE_DPI), "-gray", "-png", str(pdf), str(tmp_path / name)],
        check=True,
    )
    images = sorted(tmp_path.glob(f"{name}-*.png"))
    assert len(images) == len(sizes)
    return images


def _read_back(image: Path) -> list[str]:
    """Every Code 128 symbol zbarimg finds on the page, in no particular order."""
    answer = subprocess.run(
        [_tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(image)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert answer.returncode in (0, 4), answer.stderr  # 4: no symbol found
    return answer.stdout.split()


def _on_sheets(page: Any, sheet: str, item: str, attribute: str) -> list[list[str]]:
    return [
        list(s.locator(item).evaluate_all(f"els => els.map(e => e.dataset.{attribute})"))
        for s in page.locator(sheet).all()
    ]


def test_library_cards_print_ten_to_an_a4_sheet_and_every_barcode_reads_back(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, next_="/print/cards?all=1")
    expected = _on_sheets(page, "section.cards-sheet", ".lib-card", "card")
    assert [len(s) for s in expected] == [10, 10, 10, 8]
    # Ten cards of 85.6 x 54 mm on a sheet, in two columns and five rows that line up exactly.
    boxes = (
        page.locator("section.cards-sheet")
        .first.locator(".lib-card")
        .evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")
    )
    assert {round(b["width"] / MM, 1) for b in boxes} == {85.6}
    assert {round(b["height"] / MM, 1) for b in boxes} == {54.0}
    assert len({round(b["x"], 1) for b in boxes}) == 2
    assert len({round(b["y"], 1) for b in boxes}) == 5
    clipped = page.locator(".lib-card-name, .lib-card-library").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )
    assert clipped == []
    assert page.evaluate("document.fonts.check(\"16px 'Noto Sans CJK SC'\", '借书证')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "screen-cards.png"))
    images = _printed(page, "cards", tmp_path)
    assert len(images) == 4
    for image, codes in zip(images, expected, strict=True):
        assert sorted(_read_back(image)) == sorted(codes), image.name


def test_a_class_sheet_is_one_a4_per_class_and_a_large_class_goes_on_to_a_second(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    # Class 1-1 grows to 53 pupils (the sample has 3): 48 fit on a sheet.
    now = datetime(2026, 11, 23, tzinfo=UTC)
    names = ["子涵", "欣怡", "梓萱", "一诺", "浩宇", "宇轩", "雨桐", "若汐", "思远", "嘉怡"]
    with sqlite_site.engine.begin() as conn:
        conn.execute(
            insert(readers),
            [
                {
                    "card": f"20261019{i:02d}",
                    "given_name": names[i % len(names)],
                    "role": "student",
                    "class_name": "1-1",
                    "grade": 1,
                    "active": True,
                    "deleted": False,
                    "revision": 900_000 + i,
                    "updated_at": now,
                }
                for i in range(50)
            ],
        )
    _sign_in(page, sqlite_site, next_="/print/class-sheet?grade=1")
    expected = _on_sheets(page, "section.class-sheet", ".class-sheet-cell", "card")
    heads = page.locator(".class-sheet-head h2").all_inner_texts()
    assert heads == [
        "一(1)班 · 借书证条码 (1/2)",
        "一(1)班 · 借书证条码 (2/2)",
        "一(2)班 · 借书证条码",
    ]
    assert [len(s) for s in expected] == [48, 5, 3]
    images = _printed(page, "class-sheets", tmp_path)
    assert len(images) == 3
    for image, codes in zip(images, expected, strict=True):
        assert sorted(_read_back(image)) == sorted(codes), image.name


def test_copy_labels_print_24_to_a_sheet_and_every_barcode_reads_back(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, next_="/print/labels?from=0001001&count=40")
    expected = _on_sheets(page, "section.labels-sheet", ".copy-label", "barcode")
    assert [len(s) for s in expected] == [24, 5]  # the catalogue's 29 labelled copies
    titles = page.locator(".copy-label-title").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert titles == 0  # no title cut off on the sample's labels
    images = _printed(page, "labels", tmp_path)
    assert len(images) == 2
    for image, codes in zip(images, expected, strict=True):
        assert sorted(_read_back(image)) == sorted(codes), image.name


def test_a_teacher_prints_her_class_cards_from_her_pages(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, TEACHER, next_="/weekly/3-1")
    page.click("header.top nav a[href='/print/cards?class=3-1']")
    page.wait_for_load_state()
    assert page.locator(".lib-card").count() == 3
    images = _printed(page, "cards-teacher-3-1", tmp_path)
    assert sorted(_read_back(images[0])) == ["202430101", "202430102", "202430103"]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_print_page_and_a_refusal_in_both_languages(
    browser: Any, sqlite_site: Site, language: str
) -> None:
    context = _context(browser, language=language)
    page = context.new_page()
    try:
        _sign_in(page, sqlite_site, next_="/print")
        if language == "en":
            page.click("a[lang=en]")
            page.wait_for_load_state()
        assert page.locator("h1").inner_text() == (
            "打印借书证和标签" if language == "zh_CN" else "Print cards and labels"
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"print-page-{language}.png"), full_page=True)
        page.set_viewport_size(PHONE)  # the librarian's phone: nothing wider, nothing cut off
        layout = page.evaluate(LAYOUT_CHECK)
        assert not layout["wide"] and layout["clipped"] == [] and layout["cjk"], layout
        page.screenshot(path=str(SHOTS / f"print-page-{language}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.goto(sqlite_site.url + "/print/labels?from=0001001&count=100000")
        said = page.locator(".refusal").inner_text().splitlines()
        assert said[0].startswith("一次最多打印 480 张标签")
        assert said[-1].startswith("At most 480 labels at once")
        page.screenshot(path=str(SHOTS / f"refusal-{language}.png"), full_page=True)
        assert page.evaluate("document.fonts.check(\"16px 'Noto Sans CJK SC'\", '标签')")
    finally:
        context.close()


def test_an_isbn_only_copy_given_a_barcode_prints_a_label_that_reads_back(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    _sign_in(page, sqlite_site, next_="/print")
    give = page.locator("#give-barcodes")
    assert "在架的图书中有 1 本只有 ISBN" in give.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    give.screenshot(path=str(SHOTS / "screen-give-barcodes.png"))
    page.fill("#new-first", "L0001")
    page.click("#give-barcodes button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".copy-label").count() == 1
    assert "自助借还机下次同步后就认得" in page.locator(".notice").inner_text()
    page.screenshot(path=str(SHOTS / "screen-given-labels.png"), full_page=True)
    images = _printed(page, "labels-given", tmp_path)
    assert [_read_back(image) for image in images] == [["L0001"]]
