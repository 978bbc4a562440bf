"""Real key presses, sent through X with xdotool, to the app in kiosk mode (fullscreen, the
configured readers; not the windowed demo): Escape, Alt+F4, letters and a card number typed with
Enter do nothing. The app keeps running and still answers the next card read on its serial card
scanner, a pseudo-terminal the test writes to.

There is no window manager on Xvfb (nor on the kiosk, which draws through KMS/DRM or inside
cage), so Alt+F4 reaches the app as a key, as it does there. Without one, nobody honours SDL's
fullscreen request either: the screen is display.size, so the window covers it all the same."""

from __future__ import annotations

import configparser
import fcntl
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.ui.app_runs import KIOSK, MONDAY_LUNCH, school

SCREEN = (800, 480)  # display.size
CARD = "202430101"  # 孟子乐 of the sample roster, read by the serial card scanner
TYPED = "202430102"  # 任妍宇: typed on the keyboard with Enter, as the demo scans; never read
DEADLINE = 60.0  # seconds for every wait: the test machine is shared and slow
WATCHDOG_USEC = "300000"  # a WATCHDOG=1 from the UI thread's clock every 0.1 s once it is ready


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: deploy/test.sh installs it (apt_need)")
    return path


def waiting_bytes(fd: int) -> int:
    """Bytes in a terminal's input queue, not yet read by anyone (FIONREAD)."""
    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A new Xvfb of its own (the first free display number, which Xvfb writes to a pipe)."""
    read_end, write_end = os.pipe()
    width, height = SCREEN
    screen = ("-screen", "0", f"{width}x{height}x24")
    log = tmp_path / "xvfb.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [tool("Xvfb"), "-displayfd", str(write_end), "-nolisten", "tcp", *screen],
            pass_fds=(write_end,),
            stdout=out,
            stderr=out,
        )
    os.close(write_end)
    try:
        number = b""
        end = time.monotonic() + DEADLINE
        while not number.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                pytest.fail(f"Xvfb gave no display number in {DEADLINE:g} s: {log.read_text()}")
            chunk = os.read(read_end, 16)
            if not chunk:
                pytest.fail(f"Xvfb did not start: {log.read_text()}")
            number += chunk
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(DEADLINE)


@dataclass
class KioskApp:
    """``kiosk run --config FILE`` on the display, with what it told systemd so far."""

    process: subprocess.Popen[bytes]
    display: str
    notices: socket.socket  # the NOTIFY_SOCKET the app sends READY=1, WATCHDOG=1, STOPPING=1 to
    card_scanner: int  # the pseudo-terminal's master end: what is written here, the scanner reads
    db: Path
    log: Path
    heard: list[str] = field(default_factory=list)

    def x(self, *args: str) -> str:
        result = subprocess.run(
            [tool("xdotool"), *args],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        assert result.returncode == 0, f"xdotool {' '.join(args)}: {result.stderr}"
        return result.stdout

    def next_notice(self, end: float, *, exit_ok: bool = False) -> str | None:
        """The next notification; None when the app has exited (a failure unless exit_ok)."""
        while True:
            status = self.process.poll()
            if status is not None:
                if exit_ok:
                    return None
                pytest.fail(
                    f"the app exited with status {status}; heard {self.heard}\n{self.tail()}"
                )
            left = end - time.monotonic()
            if left <= 0:
                pytest.fail(f"nothing more from the app in {DEADLINE:g} s; heard {self.heard}")
            self.notices.settimeout(min(0.5, left))
            try:
                message = self.notices.recv(4096).decode()
            except TimeoutError:
                continue
            self.heard.append(message)
            return message

    def wait_for(self, wanted: str, count: int = 1) -> None:
        """Until the app has said ``wanted`` ``count`` times more; it must not stop meanwhile."""
        end = time.monotonic() + DEADLINE
        while count:
            message = self.next_notice(end)
            assert message is not None
            assert not message.startswith("STOPPING=1"), f"the app is stopping: {self.heard}"
            count -= message.startswith(wanted)

    def forget_notices(self) -> None:
        """Read away what the app said so far: what comes next was sent from now on."""
        self.notices.setblocking(False)
        try:
            while True:
                self.heard.append(self.notices.recv(4096).decode())
        except BlockingIOError:
            pass
        stopping = any(m.startswith("STOPPING=1") for m in self.heard)
        assert not stopping, f"the app is stopping: heard {self.heard}"

    def journal(self) -> list[tuple[str, str | None]]:
        with Store(self.db, read_only=True) as store:
            return [(e.event.type.value, e.event.card) for e in store.events()]

    def kivy_settings(self) -> configparser.ConfigParser:
        settings = configparser.ConfigParser(interpolation=None)
        # data_dir is the database's folder (the fixture sets it), so KIVY_HOME is beside it.
        settings.read(self.db.parent / "kivy" / "config.ini", encoding="utf-8")
        return settings

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


@pytest.fixture
def kiosk_app(tmp_path: Path, display: str) -> Iterator[KioskApp]:
    """The app in kiosk mode on the UI tests' sample school, with one card scanner: a serial
    port that is a real pseudo-terminal."""
    card_scanner, port = os.openpty()
    # A byte in the port's input queue before the app opens it: pyserial empties the queue
    # once the port is set up, so when the byte is gone the scanner reads all that follows.
    os.write(card_scanner, b"\n")  # an empty line, which a scanner would skip anyway
    db, config = school(tmp_path)
    settings = config.read_text(encoding="utf-8")
    assert "[kiosk]\n" in settings
    settings = settings.replace("[kiosk]\n", f'[kiosk]\ndata_dir = "{tmp_path}"\n', 1)
    settings += (
        f'[[scanners]]\nname = "card-scanner"\nurl = "serial://{os.ttyname(port)}"\nrole = "card"\n'
    )
    config.write_text(settings, encoding="utf-8")
    notices = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notices.bind(str(tmp_path / "notify.sock"))
    env = {
        **os.environ,
        "DISPLAY": display,
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": WATCHDOG_USEC,
        "SDL_AUDIODRIVER": "dummy",  # no sound card on a test machine
    }
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        # --at: the sample school's Monday lunchtime on a clock that runs on from there.
        process = subprocess.Popen(
            [str(KIOSK), "run", "--config", str(config), "--at", MONDAY_LUNCH],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    app = KioskApp(process, display, notices, card_scanner, db, log)
    try:
        app.wait_for("READY=1")
        end = time.monotonic() + DEADLINE
        while waiting_bytes(port):  # paced by the app's watchdog pings, no sleep
            app.next_notice(end)
        yield app
    finally:
        if process.poll() is None:
            # Not SIGTERM: kiosk mode refuses it (see the last test); nothing is left running.
            process.kill()
        process.wait(DEADLINE)
        notices.close()
        os.close(card_scanner)
        os.close(port)


def test_real_escape_alt_f4_and_keys_do_nothing_and_the_next_card_is_read(
    kiosk_app: KioskApp,
) -> None:
    app = kiosk_app
    # The keys go to the app's window, which covers the screen; Kivy runs with kiosk mode's
    # settings (KIVY_HOME is data_dir/kivy): fullscreen, borderless, no cursor.
    assert app.x("getwindowfocus", "getwindowname").strip() == "kiosk"
    width, height = SCREEN
    geometry = app.x("getwindowfocus", "getwindowgeometry")
    assert "Position: 0,0" in geometry and f"Geometry: {width}x{height}" in geometry, geometry
    kivy = app.kivy_settings()
    assert kivy.get("graphics", "fullscreen") == "auto"
    assert kivy.get("graphics", "borderless") == "1"
    assert kivy.get("graphics", "show_cursor") == "0"
    app.x("key", "--clearmodifiers", "Escape")
    app.x("key", "alt+F4")
    app.x("key", "q", "x", "a", "space")
    app.x("type", TYPED)
    app.x("key", "Return")
    # A round trip after the last key: the X server has handled them all and sent them to the
    # app. Two watchdog pings sent after that come from two turns of the app's main loop, and
    # each turn reads its window's events: the app has had every key, and it is still running.
    app.x("getmouselocation")
    app.forget_notices()
    app.wait_for("WATCHDOG=1", count=2)
    assert app.x("getwindowfocus", "getwindowname").strip() == "kiosk"  # the window is still up

    os.write(app.card_scanner, f"{CARD}\r\n".encode())
    end = time.monotonic() + DEADLINE
    while ("session_started", CARD) not in app.journal():
        app.next_notice(end)  # between two looks at the journal, the app's next ping
    assert app.process.poll() is None, app.tail()
    assert app.journal() == [("session_started", CARD)]  # the typed card number was not read
    app.forget_notices()


def test_sigterm_stops_the_kiosk_mode_app_cleanly(kiosk_app: KioskApp) -> None:
    app = kiosk_app
    app.forget_notices()
    app.process.send_signal(signal.SIGTERM)
    end = time.monotonic() + DEADLINE
    pings = 0
    while "STOPPING=1" not in app.heard and pings < 3:
        message = app.next_notice(end, exit_ok=True)
        if message is None:
            break
        pings += message == "WATCHDOG=1"
    assert "STOPPING=1" in app.heard, (
        f"after SIGTERM the app {'died' if app.process.poll() is not None else 'ran on'} "
        f"without stopping: heard {app.heard}"
    )
    assert app.process.wait(DEADLINE) == 0, app.tail()
