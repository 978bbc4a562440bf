"""The screens that show one answer and close by themselves: a return, the receipt, a fault."""

from __future__ import annotations

from kiosk.ui.screens import typescale
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import LoanRow, Rows, TextLine
from kiosk.ui.views import LoanLine


class ReturnScreen(KioskScreen):
    pass


class SummaryScreen(KioskScreen):
    _rows: Rows[LoanLine] | None = None

    def refresh(self) -> None:
        if self.view is None:
            return
        if self._rows is None:
            self._rows = Rows(
                self.ids.borrowed,
                lambda: LoanRow(big=True),
                lambda row, loan: setattr(row, "loan", loan),
            )
        self._rows.show(self.view.borrowed[:6])


class FaultScreen(KioskScreen):
    _rows: Rows[str] | None = None

    def refresh(self) -> None:
        if self.view is None:
            return
        if self._rows is None:
            self._rows = Rows(
                self.ids.details,
                lambda: TextLine(font_size=typescale.S),
                lambda row, detail: setattr(row, "text", detail),
            )
        self._rows.show(self.view.details[:4])
