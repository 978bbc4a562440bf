"""The screens that show one answer and close by themselves: a return, the receipt, a fault."""

from __future__ import annotations

from kiosk.ui.screens import typescale
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import LoanRow, TextLine, fill


class ReturnScreen(KioskScreen):
    pass


class SummaryScreen(KioskScreen):
    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        rows = [LoanRow(loan=line, big=True) for line in view.borrowed[:6]]
        fill(self.ids.borrowed, rows or [TextLine(text=view.nothing, font_size=typescale.M)])


class FaultScreen(KioskScreen):
    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        fill(self.ids.details, [TextLine(text=d, font_size=typescale.S) for d in view.details[:4]])
