"""The idle board's lines: who may borrow now, the next window, this week's best class."""

from __future__ import annotations

from datetime import datetime

from kiosk.core.policy import Window
from kiosk.ui.words import class_name, grade_label, joined, text


def who(window: Window, language: str) -> str:
    names = [class_name(c, language) for c in sorted(window.classes)]
    names += [grade_label(g, language) for g in sorted(window.grades)]
    return joined(names, language)


def window_now(windows: tuple[Window, ...], language: str) -> str:
    """The windows open now (``kiosk.core.timetable.open_windows``), one line each."""
    if not windows:
        return text("ui.idle.no_window_now", language)
    return "\n".join(
        text(
            "ui.idle.window_now",
            language,
            classes=who(w, language),
            start=f"{w.start:%H:%M}",
            end=f"{w.end:%H:%M}",
        )
        for w in windows
    )


def window_next(found: tuple[datetime, Window] | None, local: datetime, language: str) -> str:
    """The next window to open (``kiosk.desk.board.next_window``), as seen at ``local``."""
    if found is None:
        return text("ui.idle.no_window_next", language)
    moment, window = found
    days = (moment.date() - local.date()).days
    if days == 0:
        day = text("ui.today", language)
    elif days == 1:
        day = text("ui.tomorrow", language)
    else:
        day = text(f"ui.weekday.{moment.weekday()}", language)
    return text(
        "ui.idle.window_next",
        language,
        day=day,
        start=f"{moment:%H:%M}",
        classes=who(window, language),
    )


def best_class_line(best: tuple[str, int] | None, language: str) -> str:
    if best is None:
        return text("ui.idle.no_best_class", language)
    return text("ui.idle.best_class", language, klass=class_name(best[0], language), count=best[1])
