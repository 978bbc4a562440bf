"""``kiosk doctor``'s screen check: what the touchscreen app found of its screen when it started.

The app records it in the kiosk's file (kiosk/ui/no_screen.py): "ok", or no display connected,
or one connected that no window opens on. With no display the app waits and looks every minute,
so a screen that is off or unplugged shows here (and on the server's Today page) instead of as a
unit restarting for ever.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.health.config import DoctorConfig
from kiosk.health.machine import Machine
from kiosk.health.results import Result, fail, ok, skipped
from kiosk.store import Store, StoreError

# The states the app records (kiosk.ui.no_screen; kiosk.health does not import the UI).
SHOWING, PROBLEMS = "ok", ("no_display", "no_window")


def check_screen(machine: Machine, config: DoctorConfig) -> Result:
    try:
        with Store(machine.path(config.database), read_only=True) as store:
            found = store.sync.screen_state()
    except (StoreError, OSError):
        return skipped("screen", "waits")
    if found is None:
        return skipped("screen", "not_started")
    state, since = found
    if state == SHOWING:
        return ok("screen", since=_minute(since))
    if state in PROBLEMS:
        return fail("screen", state, since=_minute(since))
    return fail("screen", "unknown", state=state, since=_minute(since))


def _minute(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
