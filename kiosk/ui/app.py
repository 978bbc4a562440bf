"""The Kivy app: screens that show what the door's thread sends, and taps sent back to it.

Import only after :func:`kiosk.ui.kivy_setup.prepare`. The UI thread never touches the store:
scanners put their output straight into the door's queue, the door's thread answers with the
desk's :class:`~kiosk.desk.inputs.Update` values, presented there as views, and those reach the
widgets through the Kivy clock.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition, ScreenManager

from hardware import ScannerOutput
from kiosk.desk.door_thread import DoorThread
from kiosk.desk.inputs import Exit, Tap, Update
from kiosk.desk.machine import machine_facts
from kiosk.i18n import LANGUAGES, catalogue, format_day
from kiosk.ui.presenters import present
from kiosk.ui.runtime import Runtime, fake
from kiosk.ui.screens import typescale
from kiosk.ui.screens.answer import FaultScreen, ReturnScreen, SummaryScreen
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.idle import IdleScreen
from kiosk.ui.screens.session import SessionScreen
from kiosk.ui.screens.staff import AdminScreen, HelperScreen, PinScreen
from kiosk.ui.screens.widgets import KioskButton
from kiosk.ui.sd_notify import Notifier
from kiosk.ui.sounds import Sounds
from kiosk.ui.views import SCREEN_OF, View
from kiosk.ui.voice_player import KivyPlayer
from kiosk.ui.words import text
from kiosk.voice.announcer import Announcer, open_voice

logger = logging.getLogger(__name__)
SCREENS = Path(__file__).parent / "screens"
KV_FILES = ("widgets.kv", "idle.kv", "session.kv", "answer.kv", "staff.kv")
PAPER = (0.99, 0.97, 0.92, 1)
FRAME_CHECK_SECONDS = 0.1


def settle_memory() -> None:
    """Once the first screen is up: load what every later answer needs (both catalogues, the
    date formats), then freeze everything alive into the permanent generation. Python's full
    collections then walk only what came after, not Kivy, Babel and the catalogues each time:
    a full collection in the middle of a scan is what made the slowest answers slow."""
    for language in LANGUAGES:
        catalogue(language)
        format_day(date(2026, 1, 1), language)
    gc.collect()
    gc.freeze()


class KioskApp(App):
    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.title = "kiosk"
        self.status = 0
        self.door = DoorThread(
            runtime.config,
            runtime.clock,
            tuple(runtime.scanners),
            self._deliver_from_door,
            tick_seconds=None if runtime.script is not None else 0.25,
            machine=machine_facts,
            new_id=runtime.new_id,
        )
        self.received = 0  # scanner outputs put into the door's queue (the script counts them)
        self.pending = 0  # updates scheduled on the Kivy clock and not yet shown
        self.shown: Update | None = None
        # Run once the app has started (the scripted mode's runner, set by `kiosk run`).
        self.on_started: list[Callable[[], None]] = []
        self.shown_on_screen = 0.0  # perf_counter() of the first frame drawn after an update
        self.frame_waiters: list[Any] = []
        self.notifier = Notifier()
        self._ready_sent = False
        self._sounds: Sounds | None = None
        self.voice: Announcer | None = None  # spoken answers, when [voice] enabled
        self.voice_player = KivyPlayer()
        self._typed = ""

    # -- building --------------------------------------------------------------------------

    def build(self) -> Any:
        for name in KV_FILES:
            Builder.load_file(str(SCREENS / name))
        Window.clearcolor = PAPER
        self.manager = ScreenManager(transition=NoTransition())
        self.screens: dict[str, KioskScreen] = {}
        for cls in (
            IdleScreen,
            SessionScreen,
            ReturnScreen,
            SummaryScreen,
            PinScreen,
            AdminScreen,
            HelperScreen,
            FaultScreen,
        ):
            screen = cls()
            screen.tap = self.tap
            self.screens[screen.name] = screen
            self.manager.add_widget(screen)
        session = self.screens["session"]
        assert isinstance(session, SessionScreen)
        session.now = lambda: self.runtime.clock.read().mono
        idle = self.screens["idle"]
        assert isinstance(idle, IdleScreen)
        idle.now = session.now
        idle.arrival_seconds = self.runtime.config.arrival_seconds
        self.slow = Label(
            text=text("ui.slow", self.runtime.config.language),
            font_size=typescale.L,
            bold=True,
            color=(1, 1, 1, 1),
            size_hint=(None, None),
            size=(dp(220), dp(80)),
            pos_hint={"center_x": 0.5, "center_y": 0.5},
            opacity=0,
        )
        with self.slow.canvas.before:
            from kivy.graphics import Color, RoundedRectangle

            Color(0.22, 0.50, 0.78, 0.92)
            self._slow_bg = RoundedRectangle(radius=[dp(16)])
        self.slow.bind(pos=self._place_slow, size=self._place_slow)
        root = FloatLayout()
        if self.runtime.demo:
            column = BoxLayout(orientation="vertical")
            column.add_widget(self.manager)
            column.add_widget(self._demo_strip())
            root.add_widget(column)
        else:
            root.add_widget(self.manager)
        root.add_widget(self.slow)
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard)
        Window.bind(on_textinput=self._on_textinput)
        Window.bind(on_flip=self._on_flip)
        return root

    def _place_slow(self, *_: Any) -> None:
        self._slow_bg.pos, self._slow_bg.size = self.slow.pos, self.slow.size

    def on_start(self) -> None:
        config = self.runtime.config
        self._sounds = Sounds(config.sounds_enabled, config.volume)
        if config.voice.enabled:
            self.voice_player.prepare()
            self.voice = open_voice(config.voice, self.voice_player, self.door.reader)
        self.door.start()
        for scanner in self.runtime.scanners.values():
            scanner.start(self._from_scanner)
        Clock.schedule_interval(self._every_check, FRAME_CHECK_SECONDS)
        if self.notifier.watchdog_seconds:
            Clock.schedule_interval(self._watchdog, self.notifier.watchdog_seconds / 3)
        for started in self.on_started:
            started()

    def on_stop(self) -> None:
        self.notifier.stopping()
        for scanner in self.runtime.scanners.values():
            scanner.close()
        self.door.stop()
        if self.voice is not None:
            self.voice.stop()

    # -- from other threads ------------------------------------------------------------------

    def _from_scanner(self, output: ScannerOutput) -> None:
        self.door.submit(output)
        self.received += 1

    def _deliver_from_door(self, update: Update | Exit) -> None:
        self.pending += 1
        if isinstance(update, Exit):
            Clock.schedule_once(lambda _dt: self._leave(update.status), -1)
            return
        # On the door's thread: the words are put together here, not on the UI thread.
        view = present(update.facts)
        Clock.schedule_once(lambda _dt: self._apply(update, view), -1)
        if self.voice is not None:  # after the screen is on its way: speech never holds it up
            at = update.scan_time
            self.voice.hear(update.facts, self.runtime.clock.read().mono if at is None else at)

    # -- on the UI thread ------------------------------------------------------------------

    def _leave(self, status: int) -> None:
        self.pending -= 1
        self.status = status
        self.stop()

    def _apply(self, update: Update, view: View) -> None:
        self.pending -= 1
        name = SCREEN_OF[type(view)]
        screen = self.screens[name]
        screen.show(view)
        self.manager.current = name
        self.shown = update
        self.frame_waiters.append(self._drawn)
        if self._sounds is not None:
            self._sounds.play(update.sound)
        if not self._ready_sent:
            # After the first frame is drawn, not before it: a collection takes a moment.
            Clock.schedule_once(lambda _dt: settle_memory(), 0)
            self._ready_sent = True
            self.notifier.ready(f"showing the {name} screen")

    def tap(self, target: str) -> None:
        self.door.submit(Tap(target, self.runtime.clock.read().mono))

    def _every_check(self, _dt: float) -> None:
        session = self.screens["session"]
        if self.manager.current == "session" and isinstance(session, SessionScreen):
            session.tick_countdown()
        idle = self.screens["idle"]
        if self.manager.current == "idle" and isinstance(idle, IdleScreen):
            idle.turn()
        since = self.door.waiting_since
        slow = self.runtime.config.screens.slow_answer_seconds
        late = since is not None and time.monotonic() - since >= slow
        self.slow.opacity = 1 if late else 0

    def _watchdog(self, _dt: float) -> None:
        # Only while the door answers too: a door stuck for longer than the watchdog's period
        # gets the whole app restarted, like a frozen screen does.
        since = self.door.waiting_since
        period = self.notifier.watchdog_seconds or 0
        if not self._ready_sent:
            return  # systemd hears READY=1 first
        if since is None or time.monotonic() - since < period:
            self.notifier.watchdog()

    def _drawn(self, flipped_at: float) -> None:
        self.shown_on_screen = flipped_at

    def _on_flip(self, *_: Any) -> None:
        # Bound handlers run before the window's own flip: the back buffer holds this frame.
        waiters, self.frame_waiters = self.frame_waiters, []
        now = time.perf_counter()
        for waiter in waiters:
            waiter(now)

    # -- keys and closing --------------------------------------------------------------------

    def terminate(self) -> None:
        """SIGTERM (from kiosk.commands.run): stop at the next frame, through on_stop."""
        Clock.schedule_once(lambda _dt: self.stop(), 0)

    def _on_request_close(self, *_: Any, **__: Any) -> bool:
        return self.runtime.kiosk  # True: refused (Alt+F4, the window manager's close)

    def _on_keyboard(self, _window: Any, key: int, *_: Any) -> bool:
        if self.runtime.kiosk:
            return True  # Escape and every other key do nothing; the scanners are grabbed
        if key == 13 and self._typed:  # Enter in the demo: the typed code is scanned
            scanner = fake(self.runtime.scanners, self.runtime.typed_scanner or "")
            if scanner is not None:
                scanner.scan(self._typed)
            self._typed = ""
            return True
        return key == 27  # Escape never closes the app

    def _on_textinput(self, _window: Any, typed: str) -> None:
        if not self.runtime.kiosk and self.runtime.demo:
            self._typed += typed

    def _demo_strip(self) -> BoxLayout:
        strip = BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(6), padding=dp(4))
        for label, code in self.runtime.demo_codes:
            button = KioskButton(text=label, height=dp(48), width=dp(92), font_size=typescale.XS)
            button.bind(on_release=lambda _b, c=code: self._demo_scan(c))
            strip.add_widget(button)
        return strip

    def _demo_scan(self, code: str) -> None:
        if code.startswith("@"):  # a button of the kiosk screen, e.g. @done
            self.tap(code.removeprefix("@"))
            return
        scanner = fake(self.runtime.scanners, self.runtime.typed_scanner or "")
        if scanner is not None:
            scanner.scan(code)
