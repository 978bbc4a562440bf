"""The session screen: hello, your books, this term's count, the answer to the last scan (the
biggest thing on screen), a large Done button and a visible countdown."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, StringProperty

from kiosk.ui import presenters
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import HeldRow, Rows, VisitRow
from kiosk.ui.views import LoanLine, Reply

MAX_LOANS = 3  # rows that fit beside the answer at 800x480, under what is left to borrow
MAX_VISIT = 3


class SessionScreen(KioskScreen):
    countdown = StringProperty("")
    left = NumericProperty(1.0)
    now: Callable[[], float] = staticmethod(lambda: 0.0)

    _loans: Rows[LoanLine] | None = None
    _visit: Rows[Reply] | None = None

    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        if self._loans is None or self._visit is None:
            self._loans = Rows(self.ids.loans, HeldRow, self._put_loan)
            self._visit = Rows(self.ids.visit, VisitRow, lambda row, a: setattr(row, "answer", a))
        self._loans.show(view.loans[:MAX_LOANS])
        self._visit.show(view.visit[1 : 1 + MAX_VISIT])
        self.tick_countdown()

    def _put_loan(self, row: HeldRow, loan: LoanLine) -> None:
        row.press = self.press
        row.renew_button = self.view.renew_button if self.view else ""
        row.loan = loan

    def tick_countdown(self) -> None:
        if self.view is not None:
            self.countdown, self.left = presenters.countdown(self.view, self.now())
