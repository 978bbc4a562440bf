"""The touchscreen app with no screen to draw on: up for systemd, said once, checked every minute.

libexec/kiosk-session starts the app in this mode when it finds no display (a monitor switched
off at boot, a loose cable). Exiting instead, for systemd to start the unit again three seconds
later, wrote about 260,000 journal lines a day. Here the app tells systemd it is up (READY=1,
the reason as its status), keeps the watchdog fed, records the state for `kiosk doctor` and the
heartbeat (the Today page), says it once in the journal, and asks the session script again
every minute. Once a display is there it exits, and systemd starts the screen on it
(Restart=always). No Kivy here: there is nothing to draw on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.ui.sd_notify import Notifier

RETRY_SECONDS = 60.0
# The screen's states, as the store keeps them and the heartbeat carries them.
SHOWING = "ok"
NO_DISPLAY = "no_display"  # no display connected (or no X server for KIOSK_DISPLAY=x11)
NO_WINDOW = "no_window"  # one is connected, but no window opens on it


@dataclass(frozen=True)
class ScreenWait:
    why: str  # what the session script found missing, as a person reads it
    probe: Callable[[], str | None]  # where a display is now, if one is (`kiosk-session --probe`)
    record: Callable[[str], None]  # the screen's state, for doctor and the heartbeat
    notifier: Notifier
    sleep: Callable[[float], None]
    say: Callable[[str], None]  # one line in the journal
    state: str = NO_DISPLAY
    retry_seconds: float = RETRY_SECONDS

    def run(self) -> int:
        """Wait until ``probe`` finds a display; 0 then, for systemd to start the screen."""
        every = f"{self.retry_seconds:.0f} s"
        self.record(self.state)
        self.say(f"no screen: {self.why}; the kiosk checks again every {every}")
        self.notifier.ready(f"no screen: {self.why}; checking every {every}")
        # Pinged three times per watchdog period, as the running app does.
        period = self.notifier.watchdog_seconds
        step = min(self.retry_seconds, period / 3) if period else self.retry_seconds
        while True:
            waited = 0.0
            while waited < self.retry_seconds:
                self.notifier.watchdog()
                pause = min(step, self.retry_seconds - waited)
                self.sleep(pause)
                waited += pause
            found = self.probe()
            if found:
                self.say(f"a display is there now ({found}): the kiosk starts again on it")
                self.notifier.stopping()
                return 0
