"""The idle screen: tap your card, the timetable now and next, new books turning slowly."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen


class IdleScreen(KioskScreen):
    arrival = StringProperty("")
    now: Callable[[], float] = staticmethod(lambda: 0.0)
    arrival_seconds = 6.0

    def refresh(self) -> None:
        self.turn()

    def turn(self) -> None:
        """Show the new arrival whose turn it is on the kiosk's clock (so a script's shots are
        the same on every run)."""
        arrivals = self.view.arrivals if self.view is not None else ()
        if not arrivals:
            self.arrival = ""
            return
        index = int(self.now() // self.arrival_seconds) % len(arrivals)
        self.arrival = f"《{arrivals[index]}》"
