"""What every screen does: hold the view it shows, and send its buttons to the door's queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.views import View


class KioskScreen(Screen):
    view = ObjectProperty(None, allownone=True)
    tap: Callable[[str], None] = staticmethod(lambda _target: None)

    def show(self, view: View) -> None:
        self.view = view
        self.refresh()

    def refresh(self) -> None:
        """Redraw what the view does not bind by itself (lists, countdowns)."""

    def press(self, target: str) -> None:
        self.tap(target)

    def on_touch_down(self, touch: Any) -> bool:
        handled: bool = super().on_touch_down(touch)
        if not handled:
            self.tap("touch")  # anywhere else: the child is still there
        return handled
