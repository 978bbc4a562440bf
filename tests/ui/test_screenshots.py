"""Every screen in both languages at the 7" display's 800x480, at 1024x600 and at 1920x1080.

The shots land in .artifacts/screenshots/kiosk/LANG/SIZE/ for people to look at (they have been:
see docs/ui.md). What a machine can check is checked here: every screen is reached, no text is
drawn bigger than its place (cut off or spilling over), and each language shows its own words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.ui.app_runs import ARTIFACTS, run_app

TOUR = (REPO / "tests" / "ui" / "scripts" / "tour.script").read_text(encoding="utf-8")
SCREENS = {"idle", "session", "return", "summary", "pin", "admin", "helper", "fault"}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("size", ["800x480", "1024x600", "1920x1080"])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_screen_fits_in_both_languages(tmp_path: Path, lang: str, size: str) -> None:
    run = run_app(tmp_path, TOUR, lang=lang, size=size, shots=ARTIFACTS / lang / size)
    assert run.status == 0, run.stderr
    assert {s["screen"] for s in run.shots} == SCREENS
    assert len(list(run.folder.glob("*.png"))) == len(run.shots) == TOUR.count("\n") - 2
    for shot in run.shots:
        assert shot["overflowing"] == [], (shot["line"], shot["screen"])
        assert shot["texts"], shot["line"]
    prompt = run.texts(1)
    if lang == "zh_CN":
        assert "请刷借书卡" in prompt
        assert all(HAN.search(" ".join(s["texts"])) for s in run.shots)
    else:
        assert "Tap your library card" in prompt
        assert "Done" in run.texts(2)
