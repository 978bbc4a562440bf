"""The product's own Kivy configuration, as Kivy reads it back (in a child process: Kivy's
configuration is process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.kivy_setup import FontMissingError, density_for, find_fonts

CHILD = """
import json, sys
from pathlib import Path
from kiosk.ui import kivy_setup
window = kivy_setup.WindowSettings((800, 480), True, True, 0)
home = kivy_setup.prepare(Path(sys.argv[1]), window, kivy_setup.find_fonts(None, None), quiet=True)
from kivy.config import Config
print(json.dumps({
    "home": str(home),
    "input": dict(Config.items("input")),
    "escape": Config.get("kivy", "exit_on_escape"),
    "cursor": Config.get("graphics", "show_cursor"),
    "fullscreen": Config.get("graphics", "fullscreen"),
    "borderless": Config.get("graphics", "borderless"),
    "screensaver": Config.get("graphics", "allow_screensaver"),
    "font": Config.get("kivy", "default_font"),
    "written": (home / "config.ini").read_text(),
}))
"""


def test_one_touch_path_no_escape_no_cursor_fullscreen(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["home"] == str(tmp_path / "kivy")
    assert found["input"] == {"mouse": "mouse,disable_multitouch"}  # no probesysfs, no hidinput
    assert found["escape"] == "0"
    assert found["cursor"] == "0"
    assert found["fullscreen"] == "auto" and found["borderless"] == "1"
    assert found["screensaver"] == "0"
    assert "NotoSansCJK-Regular.ttc" in found["font"]
    assert "probesysfs" not in found["written"]


def test_a_missing_cjk_font_is_a_clear_fault(tmp_path: Path) -> None:
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        find_fonts(tmp_path / "none.ttc", None)


def test_the_layout_scales_with_the_screen() -> None:
    assert density_for((800, 480), 0) == 1.0
    assert density_for((1024, 600), 0) == 1.25
    assert density_for((1920, 1080), 0) == 2.25
    assert density_for((800, 480), 1.5) == 1.5
