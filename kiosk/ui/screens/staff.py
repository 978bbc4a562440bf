"""The grown-ups' screens: the PIN keypad, the librarian's admin screen, the helper's screen."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp

from kiosk.core.modes import DoorMode
from kiosk.ui.screens import typescale
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import KioskButton, Rows, TextLine
from kiosk.ui.views import ScannerLine

ORANGE = (0.95, 0.58, 0.12, 1)
INK = (0.16, 0.16, 0.18, 1)


def scanner_rows(box: Any) -> Rows[ScannerLine]:
    def put(row: TextLine, scanner: ScannerLine) -> None:
        row.text = scanner.line
        row.color = INK if scanner.working else ORANGE

    return Rows(box, lambda: TextLine(font_size=typescale.XS, shorten=True), put)


class PinScreen(KioskScreen):
    def refresh(self) -> None:
        if self.view is not None:
            self.ids.dots.text = "●" * self.view.entered + "○" * max(0, 4 - self.view.entered)


class AdminScreen(KioskScreen):
    _scanners: Rows[ScannerLine] | None = None
    _modes: Rows[tuple[DoorMode, str]] | None = None

    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        if self._scanners is None or self._modes is None:
            self._scanners = scanner_rows(self.ids.scanners)
            self._modes = Rows(self.ids.modes, self._mode_button, self._put_mode)
        self._scanners.show(view.scanners[:4])
        self._modes.show(view.mode_buttons)

    def _mode_button(self) -> KioskButton:
        button = KioskButton(width=dp(150), font_size=typescale.S)
        button.bind(on_release=lambda b: self.press(b.target))
        return button

    def _put_mode(self, button: KioskButton, mode_and_label: tuple[DoorMode, str]) -> None:
        mode, label = mode_and_label
        button.text, button.target = label, f"mode:{mode.value}"
        button.tone = "ok" if mode is self.view.mode else "quiet"


class HelperScreen(KioskScreen):
    _scanners: Rows[ScannerLine] | None = None

    def refresh(self) -> None:
        if self.view is None:
            return
        if self._scanners is None:
            self._scanners = scanner_rows(self.ids.scanners)
        self._scanners.show(self.view.scanners[:4])
