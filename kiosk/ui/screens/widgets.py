"""Widgets every screen uses: the picture for an answer, the answer itself, buttons, panels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui.views import Reply, Tone
from kiosk.ui.words import keep_punctuation

T = TypeVar("T")

# Friendly colours: green for yes, warm orange (never red) for "not now", blue for information.
TONE_COLOURS = {
    Tone.OK: (0.16, 0.60, 0.30, 1),
    Tone.REFUSED: (0.95, 0.58, 0.12, 1),
    Tone.INFO: (0.22, 0.50, 0.78, 1),
}
# One sign per kind of answer, drawn on a coloured disc; a tick is drawn as lines.
GLYPHS = {
    "tick": "",
    "card": "卡",
    "book": "书",
    "barcode": "码",
    "reading_room": "阅",
    "yours": "你",
    "clock": "时",
    "return_first": "还",
    "scan_again": "再",
    "wave": "见",
    "attention": "！",
    "new": "新",
    "reserved": "留",  # on the reservations shelf (预约书架)
}


class Picture(Widget):
    """A disc in the answer's colour with a tick, or one large sign a child learns quickly."""

    kind = StringProperty("tick")
    tone = StringProperty(Tone.OK.value)
    colour = ListProperty(list(TONE_COLOURS[Tone.OK]))
    glyph = StringProperty("")

    def on_kind(self, *_: Any) -> None:
        self.glyph = GLYPHS.get(self.kind, "？")

    def on_tone(self, *_: Any) -> None:
        self.colour = list(TONE_COLOURS.get(Tone(self.tone), TONE_COLOURS[Tone.INFO]))


class AnswerPanel(BoxLayout):
    answer = ObjectProperty(None, allownone=True)
    scale = NumericProperty(1.0)  # 1.3 for a notice that fills the screen

    def on_answer(self, _instance: Any, answer: Reply | None) -> None:
        self.opacity = 0 if answer is None else 1


class KioskButton(Button):
    """A button a small hand hits: at least 12 mm on the 7" display (64 dp there)."""

    target = StringProperty("")
    tone = StringProperty(Tone.INFO.value)


class TextLine(Label):
    """Wrapped text whose height follows its text, with Chinese punctuation kept off the
    start of a line (see :func:`kiosk.ui.words.keep_punctuation`)."""

    source_text = StringProperty("")  # the text as given, before any line break was added
    text: str  # Label's StringProperty, named for the type checker
    _fixing = False

    def on_text(self, _instance: Any, text: str) -> None:
        if not self._fixing:
            self.source_text = text

    def on_width(self, *_: Any) -> None:
        if self.source_text and self.text != self.source_text:
            self.text = self.source_text  # lay it out again for the new width

    def on_texture_size(self, *_: Any) -> None:
        if self._fixing or self._label is None:
            return
        lines = ["".join(w.text for w in line.words) for line in self._label._cached_lines]
        fixed = keep_punctuation(lines)
        if fixed is None:
            return
        self._fixing = True
        try:
            self.text = fixed
            self.texture_update()  # now, so the frame about to be drawn is the fixed one
        finally:
            self._fixing = False


class LoanRow(BoxLayout):
    # None first: kv rebinds `root.loan.title` when a row is refilled only from a None start.
    loan = ObjectProperty(None, allownone=True)
    big = BooleanProperty(False)


class HeldRow(BoxLayout):
    """One of the reader's books on the session screen: due date, renewable, a renew button."""

    loan = ObjectProperty(None, allownone=True)
    renew_button = StringProperty("")  # the renew button's label, where it is offered
    press: Callable[[str], None] = staticmethod(lambda _target: None)  # the screen's buttons


class VisitRow(BoxLayout):
    """An earlier answer of this visit, small: its picture and the book's title."""

    answer = ObjectProperty(None, allownone=True)


class Rows(Generic[T]):
    """The rows of a list on screen, kept and refilled instead of made anew at every answer.

    A Kivy widget is a web of objects with reference cycles: thrown away after each scan, they
    pile up until Python's full collection, which then stops the kiosk for a tenth of a second.
    """

    def __init__(self, box: Any, make: Callable[[], Widget], put: Callable[[Any, T], None]):
        self.box, self._make, self._put = box, make, put
        self._spare: list[Widget] = []

    def show(self, values: Sequence[T]) -> None:
        rows = list(reversed(self.box.children))  # Kivy keeps children last-added first
        while len(rows) > len(values):
            row = rows.pop()
            self.box.remove_widget(row)
            self._spare.append(row)
        while len(rows) < len(values):
            row = self._spare.pop() if self._spare else self._make()
            self.box.add_widget(row)
            rows.append(row)
        for row, value in zip(rows, values, strict=True):
            self._put(row, value)
