"""Kivy's configuration, set by the product before Kivy starts (import this before any kivy.*).

The kiosk ships its own settings instead of trusting ``~/.kivy``: KIVY_HOME under the kiosk's
data dir, exactly one touch input path (SDL's mouse emulation; a second provider such as
probesysfs/hidinput doubles every touch on a Pi), no cursor, no screensaver, no exit on Escape,
fullscreen and borderless, and a CJK font as the default (Kivy's Roboto draws Chinese as boxes).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

# Where Debian's fonts-noto-cjk puts them. Face 0 of the collection is the Japanese cut: SDL_ttf
# as bundled with Kivy opens only the first face (see docs/ui.md).
NOTO_CJK = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
BASE_HEIGHT = 480  # the official 7" display: one dp is one pixel there


class FontMissingError(RuntimeError):
    """No font that draws Chinese: the kiosk refuses to start rather than show boxes."""


@dataclass(frozen=True)
class WindowSettings:
    """How Kivy's window opens (not a timetable window, kiosk.core.policy.Window)."""

    size: tuple[int, int]
    fullscreen: bool
    kiosk: bool  # no cursor; keys and close requests do nothing
    density: float  # 0: from the size
    max_fps: int = 60  # 0: draw as fast as possible (long scripted runs)


def find_fonts(regular: Path | None, bold: Path | None) -> tuple[Path, Path]:
    if regular is None:
        regular, default_bold = NOTO_CJK
        bold = bold or (default_bold if default_bold.is_file() else regular)
    bold = bold or regular
    for path in (regular, bold):
        if not path.is_file():
            raise FontMissingError(
                f"{path}: no such font file; install Debian's fonts-noto-cjk "
                "(apt-get install fonts-noto-cjk) or set display.font in kiosk.toml"
            )
    return regular, bold


def density_for(size: tuple[int, int], configured: float) -> float:
    """One layout for 800x480, 1024x600 and 1920x1080: dp scale with the screen's height."""
    if configured > 0:
        return configured
    width, height = size
    return round(min(height / BASE_HEIGHT, width / 800), 3)


def prepare(
    data_dir: Path, window: WindowSettings, fonts: tuple[Path, Path], *, quiet: bool
) -> Path:
    """Set Kivy's environment and Config; returns KIVY_HOME. Call once, before kivy.core.*."""
    home = data_dir / "kivy"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(home)
    os.environ["KIVY_NO_ARGS"] = "1"  # the kiosk's own arguments are not Kivy's
    os.environ["KIVY_NO_FILELOG"] = "1"  # logs go to journald through stderr
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    if quiet:
        os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_METRICS_DENSITY"] = str(density_for(window.size, window.density))

    from kivy.config import Config

    if quiet:  # a script's output is its screenshots and its problems, not Kivy's start-up notes
        # Kivy set its logger's level from its config as the module loaded, over the root's.
        logging.getLogger("kivy").setLevel(logging.WARNING)

    width, height = window.size
    regular, bold = fonts
    settings = {
        "kivy": {
            "exit_on_escape": "0",
            "keyboard_mode": "system",
            "default_font": repr(["KioskCJK", str(regular), str(regular), str(bold), str(bold)]),
            "log_enable": "0",
        },
        "graphics": {
            "width": str(width),
            "height": str(height),
            "fullscreen": "auto" if window.fullscreen else "0",
            "borderless": "1" if window.fullscreen else "0",
            "resizable": "0",
            "show_cursor": "0" if window.kiosk else "1",
            "allow_screensaver": "0",
            "multisamples": "0",  # llvmpipe and the Pi's GPU: no MSAA, faster frames
            "maxfps": str(window.max_fps),
        },
    }
    for section, values in settings.items():
        for key, value in values.items():
            Config.set(section, key, value)
    # Exactly one input path: SDL's mouse (which is how SDL delivers touches), without the
    # red-dot multitouch emulation on right click.
    for key in list(Config.options("input")):
        Config.remove_option("input", key)
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.write()
    return home


def open_window() -> bool:
    """Open Kivy's window now, after ``prepare`` (importing kivy.core.window opens it): False when
    none opens, SDL finding no display it can use (Kivy has logged why)."""
    from kivy.core.window import Window

    return Window is not None
