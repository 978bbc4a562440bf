"""The idle screen: tap your card, the timetable now and next, new books turning slowly."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen


class IdleScreen(KioskScreen):
    arrival = StringProperty("")
    _index = 0
    _event: Any = None

    def refresh(self) -> None:
        self._index = 0
        self._show_arrival()

    def start_turning(self, seconds: float) -> None:
        self._event = Clock.schedule_interval(lambda _dt: self.turn(), seconds)

    def turn(self) -> None:
        self._index += 1
        self._show_arrival()

    def _show_arrival(self) -> None:
        arrivals = self.view.arrivals if self.view is not None else ()
        self.arrival = f"《{arrivals[self._index % len(arrivals)]}》" if arrivals else ""
