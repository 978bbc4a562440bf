"""The scripted mode: plays a script through the running app and saves what the screen shows.

For each line: the app's clock moves to SECONDS, the door gets a tick (time-outs fire as they
would have), the code is typed into a fake scanner or a button is pressed by a touch at its
centre, and once the door has answered and the answer is drawn, ``DIR/NNN.png`` (the frame) and
``DIR/NNN.json`` (the screen's name and every text on it) are written. No sleeping: the runner
checks on every frame whether the app has caught up.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.desk.inputs import Tick
from kiosk.ui.app import KioskApp
from kiosk.ui.runtime import fake
from kiosk.ui.screens.widgets import KioskButton
from kiosk.ui.script_file import ScriptLine

logger = logging.getLogger(__name__)
# A door that has not answered after this long (real time) has hung: fail, do not hang CI.
STUCK_SECONDS = 30.0


class ScriptTouch(MotionEvent):
    """One finger down and up at a point, through the window's input dispatch like a real one."""

    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__(
            "script",
            1,
            {"x": x / max(1, win.width - 1), "y": y / max(1, win.height - 1)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def tap(self) -> None:
        EventLoop.post_dispatch_input("begin", self)
        EventLoop.post_dispatch_input("end", self)


def visible(widget: Widget) -> bool:
    node: Any = widget
    while node is not None:
        if getattr(node, "opacity", 1) <= 0 or getattr(node, "disabled", False):
            return False
        node = node.parent if node.parent is not node else None
    return bool(widget.width > 0 and widget.height > 0)


def screen_texts(root: Widget) -> list[str]:
    """Every visible text, as given (without line breaks the layout added)."""
    return [
        getattr(w, "source_text", "") or w.text
        for w in root.walk(restrict=True)
        if isinstance(w, Label) and w.text.strip() and visible(w)
    ]


def resident_kb() -> int:
    """This process's resident memory (Linux), for the benchmark's memory figures."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * 4


# Mesa's software renderer (llvmpipe) under Xvfb: not on a Pi, whose GPU has its own driver.
SOFTWARE_GL = ("libLLVM", "swrast_dri", "libgallium", "kms_swrast")


def software_gl_kb() -> int:
    """Resident memory of the software renderer's libraries (read once, at the end)."""
    total, counting = 0, False
    try:
        lines = Path("/proc/self/smaps").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if "-" in line.split(" ", 1)[0] and not line.startswith(("Rss", "Pss")):
            counting = any(name in line for name in SOFTWARE_GL)
        elif counting and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def overflowing(root: Widget) -> list[str]:
    """Texts drawn bigger than their widget: cut off or spilling onto a neighbour."""
    found = []
    for w in root.walk(restrict=True):
        if not (isinstance(w, Label) and w.text.strip() and visible(w)):
            continue
        w.texture_update()
        width, height = w.texture_size
        if width > w.width + 2 or height > w.height + 2:
            found.append(w.text)
        elif w.shorten and _cut_short(w):
            found.append(w.text)  # words shortened to "Retu... only"
    return found


def _cut_short(label: Label) -> bool:
    """Whether ``shorten`` had to drop characters from a one-line label."""
    whole = CoreLabel(
        text=label.text, font_size=label.font_size, bold=label.bold, font_name=label.font_name
    )
    whole.refresh()
    room = label.text_size[0] if label.text_size[0] else label.width
    return bool(whole.texture.width > room + 1)


class ScriptRunner:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.runtime = app.runtime
        self.lines: tuple[ScriptLine, ...] = self.runtime.script or ()
        self.index = -1  # -1: waiting for the first screen
        self.expected = len(self.runtime.scanners)  # each scanner says "ready" once at start
        self.started = 0.0  # clock seconds already played
        self.injected = 0.0
        self.phase = "tick"
        self.waiting_since = time.monotonic()
        self.timings: list[dict[str, Any]] = []
        self.said = 0  # lines of speech already written into a shot's JSON
        self.missed: list[int] = []
        if self.runtime.shots is not None:
            self.runtime.shots.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        """Once the app has started. (Kivy's clock holds its callbacks weakly: whoever made the
        runner keeps it.)"""
        self.waiting_since = time.monotonic()
        self._event = Clock.schedule_interval(self._check, 0)

    def _caught_up(self) -> bool:
        app = self.app
        return (
            app.received >= self.expected
            and app.door.idle
            and app.pending == 0
            and app.shown is not None
            and (app.voice is None or app.voice.speaker.idle)  # the line's speech is handed over
        )

    def _check(self, _dt: float) -> None:
        if not self._caught_up():
            if time.monotonic() - self.waiting_since > STUCK_SECONDS:
                logger.error("script line %d: the app did not answer in time", self.index + 1)
                self._finish(1)
            return
        self._event.cancel()
        if self.index < 0:
            # The first screen is drawn: how long the kiosk took to be ready (bench_ui).
            self.timings.append({"first_screen_mono": time.monotonic()})
            self._next()
        elif self.phase == "tick":
            # The tick's answer is on screen (a time-out, a screen that closed): now the line.
            self.phase = "play"
            self.injected = time.perf_counter()
            self._play(self.lines[self.index])
            self._wait()
        else:
            self._after_line()

    def _after_line(self) -> None:
        """The answer is in the widgets: draw one frame, then save it."""
        session = self.app.screens["session"]
        if self.app.manager.current == "session":
            session.tick_countdown()
        self.app.screens["idle"].refresh()
        self.app.frame_waiters.append(self._drawn)
        Window.canvas.ask_update()

    def _drawn(self, flipped_at: float) -> None:
        line = self.lines[self.index]
        number = self.index + 1
        screen = self.app.manager.current_screen
        action, _ = line.action
        self.timings.append(
            {
                "line": line.number,
                "action": action,
                # The first frame drawn after the answer reached the widgets.
                "frame_ms": (self.app.shown_on_screen - self.injected) * 1000,
                # The first sound of this line's speech, if it spoke (bench_ui's voice figures).
                "voice_ms": self._first_sound_ms(),
                "rss_kb": resident_kb(),
            }
        )
        if self.runtime.shots is not None:
            stem = self.runtime.shots / f"{number:03d}"
            made = Window.screenshot(name=str(stem.with_name("frame.png")))
            if made:
                Path(made).replace(stem.with_suffix(".png"))
            record = {
                "line": line.number,
                "seconds": line.seconds,
                "code": line.code,
                "screen": screen.name,
                "texts": screen_texts(screen) + screen_texts(self.app.slow),
                "overflowing": overflowing(screen),
                "spoken": self._spoken(),
            }
            stem.with_suffix(".json").write_text(
                json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8"
            )
        Clock.schedule_once(lambda _dt: self._next(), 0)

    def _spoken(self) -> list[dict[str, Any]]:
        """What was said since the last shot: each sentence and the sound files it was made of."""
        if self.app.voice is None:
            return []
        speaker = self.app.voice.speaker
        count, self.said = speaker.said_count - self.said, speaker.said_count
        new = list(speaker.said)[-count:] if count else []
        return [
            {
                "sentence": s.sentence,
                "language": s.language,
                "sounds": [{"text": p.text, "source": p.source, "file": p.file} for p in s.sounds],
            }
            for s in new
        ]

    def _first_sound_ms(self) -> float | None:
        started = [t for t in self.app.voice_player.first_sounds if t >= self.injected]
        return (started[0] - self.injected) * 1000 if started else None

    def _next(self) -> None:
        self.index += 1
        if self.index >= len(self.lines):
            self._finish(0)
            return
        line = self.lines[self.index]
        if self.runtime.advance is not None and line.seconds > self.started:
            self.runtime.advance(line.seconds - self.started)
            self.started = line.seconds
        self.app.door.submit(Tick())
        self.phase = "tick"
        self._wait()

    def _wait(self) -> None:
        self.waiting_since = time.monotonic()
        self._event = Clock.schedule_interval(self._check, 0)

    def _play(self, line: ScriptLine) -> None:
        action, argument = line.action
        scanners = self.runtime.scanners
        if action == "scan":
            scanner = fake(scanners, line.scanner or self.runtime.typed_scanner or "")
            if scanner is not None:
                scanner.scan(line.code)
                self.expected += 1
        elif action in ("unplug", "replug"):
            scanner = fake(scanners, argument)
            if scanner is not None:
                (scanner.unplug if action == "unplug" else scanner.replug)()
                self.expected += 1
        elif action in ("done", "damaged", "tap"):
            self._press(argument or action, line)
        elif action == "pin":
            for digit in argument:
                self._press(f"key:{digit}", line)
            self._press("ok", line)
        elif action == "touch":
            ScriptTouch(2, 2).tap()  # a corner holds no button on any screen

    def _press(self, target: str, line: ScriptLine) -> None:
        screen = self.app.manager.current_screen
        buttons = [
            w
            for w in screen.walk(restrict=True)
            if isinstance(w, KioskButton) and w.target == target and visible(w)
        ]
        if not buttons:
            # A child cannot press a button that is not there; the shot shows what was.
            logger.warning(
                "script line %d: no %r button on the %s screen", line.number, target, screen.name
            )
            self.missed.append(line.number)
            return
        x, y = buttons[0].to_window(*buttons[0].center)
        ScriptTouch(x, y).tap()

    def _finish(self, status: int) -> None:
        if self.runtime.timings is not None:
            self.timings.append({"final_rss_kb": resident_kb(), "software_gl_kb": software_gl_kb()})
            self.runtime.timings.write_text(
                "\n".join(json.dumps(t) for t in self.timings) + "\n", encoding="utf-8"
            )
        self.app.status = status
        self.app.stop()
