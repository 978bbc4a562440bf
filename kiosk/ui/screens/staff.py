"""The grown-ups' screens: the PIN keypad, the librarian's admin screen, the helper's screen."""

from __future__ import annotations

from kivy.metrics import dp

from kiosk.ui.screens import typescale
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import KioskButton, TextLine, fill
from kiosk.ui.views import ReaderLine

ORANGE = (0.95, 0.58, 0.12, 1)
INK = (0.16, 0.16, 0.18, 1)


def reader_rows(readers: tuple[ReaderLine, ...]) -> list[TextLine]:
    return [
        TextLine(
            text=r.line, font_size=typescale.XS, color=INK if r.working else ORANGE, shorten=True
        )
        for r in readers[:4]
    ]


class PinScreen(KioskScreen):
    def refresh(self) -> None:
        if self.view is not None:
            self.ids.dots.text = "●" * self.view.entered + "○" * max(0, 4 - self.view.entered)


class AdminScreen(KioskScreen):
    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        fill(self.ids.readers, reader_rows(view.readers))
        buttons = []
        for mode, label in view.mode_buttons:
            button = KioskButton(
                text=label,
                target=f"mode:{mode.value}",
                tone="ok" if mode is view.mode else "quiet",
                width=dp(150),
                font_size=typescale.S,
            )
            button.bind(on_release=lambda b: self.press(b.target))
            buttons.append(button)
        fill(self.ids.modes, buttons)


class HelperScreen(KioskScreen):
    def refresh(self) -> None:
        if self.view is not None:
            fill(self.ids.readers, reader_rows(self.view.readers))
