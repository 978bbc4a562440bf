"""The touchscreen app with no display (kiosk/ui/no_screen.py): up for systemd, one journal line,
the watchdog fed, a look every minute, the state recorded for `kiosk doctor` and the heartbeat.

ScreenWait runs with an injected probe and sleep (no time passes); its notifier is the real one,
talking to a real datagram socket as systemd's. Then `kiosk run` itself, started as
kiosk-session starts it when it finds no display."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store
from kiosk.ui.no_screen import NO_DISPLAY, ScreenWait
from kiosk.ui.sd_notify import Notifier
from tests.ui.app_runs import config_text

KIOSK = Path(sys.executable).with_name("kiosk")


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    """The socket systemd listens on for a Type=notify unit's messages."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(30)
        yield sock


class Listener(threading.Thread):
    """systemd's side: every message, read as it comes (a full queue would block the sender)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.messages: list[str] = []

    def run(self) -> None:
        while not self.messages or self.messages[-1] != "STOPPING=1":
            self.messages.append(self.sock.recv(4096).decode())


class Machine:
    """What ScreenWait is given: a display that appears at the third look, a clock that only
    counts, a journal and the kiosk's file as lists."""

    def __init__(self, found_at_look: int) -> None:
        self.found_at_look = found_at_look
        self.looks = 0
        self.slept: list[float] = []
        self.journal: list[str] = []
        self.recorded: list[str] = []

    def probe(self) -> str | None:
        self.looks += 1
        return "card2 (DSI-1) through KMS/DRM" if self.looks >= self.found_at_look else None

    def wait(self, notify_socket: Path, watchdog_usec: str = "30000000") -> ScreenWait:
        env = {"NOTIFY_SOCKET": str(notify_socket), "WATCHDOG_USEC": watchdog_usec}
        return ScreenWait(
            why="no connected display in /sys/class/drm (is the screen plugged in and on?)",
            probe=self.probe,
            record=self.recorded.append,
            notifier=Notifier(env),
            sleep=self.slept.append,
            say=self.journal.append,
        )


def test_no_display_is_said_once_and_looked_for_every_minute(
    tmp_path: Path, systemd: socket.socket
) -> None:
    machine = Machine(found_at_look=3)
    listener = Listener(systemd)
    listener.start()
    status = machine.wait(tmp_path / "notify").run()
    listener.join(timeout=30)
    assert status == 0  # systemd starts the screen again, on the display now there
    assert machine.looks == 3 and sum(machine.slept) == 180.0  # one look a minute
    assert machine.recorded == [NO_DISPLAY]
    # Two journal lines for three minutes without a screen (the loop it replaces wrote 60).
    assert machine.journal == [
        "no screen: no connected display in /sys/class/drm (is the screen plugged in and on?); "
        "the kiosk checks again every 60 s",
        "a display is there now (card2 (DSI-1) through KMS/DRM): the kiosk starts again on it",
    ]
    messages = listener.messages
    assert messages[0].startswith("READY=1\nSTATUS=no screen: no connected display")
    assert messages[-1] == "STOPPING=1"
    pings = messages[1:-1]
    assert set(pings) == {"WATCHDOG=1"}
    # Never longer than a third of WatchdogSec=30 between two pings.
    assert max(machine.slept) <= 10.0 and len(pings) == len(machine.slept) == 18


def test_without_a_watchdog_it_still_looks_every_minute(
    tmp_path: Path, systemd: socket.socket
) -> None:
    machine = Machine(found_at_look=2)
    listener = Listener(systemd)
    listener.start()
    assert machine.wait(tmp_path / "notify", watchdog_usec="").run() == 0
    listener.join(timeout=30)
    assert machine.slept == [60.0, 60.0]


def test_kiosk_run_with_no_screen_is_up_for_systemd_and_records_it(
    tmp_path: Path, systemd: socket.socket
) -> None:
    db = tmp_path / "kiosk.db"
    Store.create(db, "door-1").close()
    config = tmp_path / "kiosk.toml"
    config.write_text(config_text(db), encoding="utf-8")
    session = tmp_path / "kiosk-session"
    session.write_text("#!/bin/sh\necho 'no connected display'\nexit 1\n")
    session.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "3000000",
        "KIOSK_NO_SCREEN": "no connected display in /sys/class/drm",
        "KIOSK_SESSION": str(session),
        "DISPLAY": "",  # nothing to draw on, whatever the test machine has
        "SDL_VIDEODRIVER": "dummy",
    }
    with subprocess.Popen(
        [KIOSK, "run", "--config", config],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as app:
        try:
            ready = systemd.recv(4096).decode()  # blocks until the app says it
            ping = systemd.recv(4096).decode()
        finally:
            app.send_signal(signal.SIGTERM)  # systemctl stop
            _out, err = app.communicate(timeout=30)
    assert ready.startswith("READY=1\nSTATUS=no screen: no connected display in /sys/class/drm")
    assert ping == "WATCHDOG=1"
    assert app.returncode == -signal.SIGTERM
    assert err.splitlines() == [
        "kiosk run: no screen: no connected display in /sys/class/drm; "
        "the kiosk checks again every 60 s"
    ]
    with Store(db) as store:
        found = store.sync.screen_state()
    assert found is not None and found[0] == NO_DISPLAY


def test_the_screens_state_outlives_the_scanners_being_listed_again(tmp_path: Path) -> None:
    # The app records the screen, then its front desk forgets scanners no longer configured.
    with Store.create(tmp_path / "kiosk.db", "door-1") as store:
        store.sync.set_scanner_state("old-scanner", "ok")
        store.sync.set_screen_state("ok")
        store.sync.keep_scanners(["book-scanner"])
        found = store.sync.screen_state()
        assert found is not None and found[0] == "ok"
        # The heartbeat carries it (the Today page shows it on a line of its own).
        assert ("@screen", "ok") in store.sync.scanner_states()
        assert "old-scanner" not in dict(store.sync.scanner_states())


def test_a_display_no_window_opens_on_is_told_apart_and_waited_for(
    tmp_path: Path, systemd: socket.socket
) -> None:
    # The X display named is not there: SDL opens no window, Kivy says why; the app stays up.
    db = tmp_path / "kiosk.db"
    Store.create(db, "door-1").close()
    config = tmp_path / "kiosk.toml"
    config.write_text(
        config_text(db).replace("[kiosk]\n", f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'),
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "SDL_VIDEODRIVER": "x11",
        "KIVY_WINDOW": "sdl2",
        "DISPLAY": ":97",  # no X server has it
        "KIVY_NO_ARGS": "1",
    }
    with subprocess.Popen(
        [KIOSK, "run", "--config", config],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as app:
        try:
            ready = systemd.recv(4096).decode()
        finally:
            app.send_signal(signal.SIGTERM)
            _out, err = app.communicate(timeout=30)
    assert ready.startswith(
        "READY=1\nSTATUS=no screen: a display is connected, but no window opens on it"
    ), err
    assert "Traceback" not in err.split("kiosk run: no screen:")[-1]
    with Store(db) as store:
        found = store.sync.screen_state()
    assert found is not None and found[0] == "no_window"
