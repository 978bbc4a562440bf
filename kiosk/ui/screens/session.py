"""The session screen: hello, your books, this term's count, the answer to the last scan (the
biggest thing on screen), a large Done button and a visible countdown."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, StringProperty

from kiosk.ui import presenters
from kiosk.ui.screens import typescale
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.widgets import LoanRow, TextLine, VisitRow, fill

MAX_LOANS = 4  # rows that fit beside the answer at 800x480
MAX_VISIT = 3


class SessionScreen(KioskScreen):
    countdown = StringProperty("")
    left = NumericProperty(1.0)
    now: Callable[[], float] = staticmethod(lambda: 0.0)

    def refresh(self) -> None:
        view = self.view
        if view is None:
            return
        rows = [LoanRow(loan=line) for line in view.loans[:MAX_LOANS]]
        fill(self.ids.loans, rows or [TextLine(text=view.no_loans, font_size=typescale.S)])
        earlier = view.visit[1 : 1 + MAX_VISIT]
        fill(self.ids.visit, [VisitRow(answer=a) for a in earlier])
        self.tick_countdown()

    def tick_countdown(self) -> None:
        if self.view is not None:
            self.countdown, self.left = presenters.countdown(self.view, self.now())
