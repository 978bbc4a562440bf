"""Doubles and fixtures for scanner tests: a clock to advance, back-off to release, ptys to unplug.

Nothing here sleeps: tests wait on queues with time-outs, and the doubles wake the scanner
threads through real file descriptors.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hardware import Host, ScanEvent, ScannerOutput, ScannerProblem, ScannerReady
from hardware.host import InputDeviceInfo
from hardware.waiting import StopSignal

WAIT = 5.0  # seconds a test waits for an output before it fails (never reached when all is well)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ManualWait:
    """Back-off waits that the test releases one by one; it records each delay asked for."""

    def __init__(self) -> None:
        self.requests: queue.Queue[float] = queue.Queue()
        self._permits = threading.Semaphore(0)

    def __call__(self, stop: StopSignal, delay: float) -> bool:
        self.requests.put(delay)
        stop.on_set(self._permits.release)
        self._permits.acquire()
        return stop.is_set()

    def next_request(self) -> float:
        return self.requests.get(timeout=WAIT)

    def release(self) -> None:
        self._permits.release()


class Outputs:
    """Collects what a scanner emits, with helpers that wait for what the test expects."""

    def __init__(self) -> None:
        self.queue: queue.Queue[ScannerOutput] = queue.Queue()
        self.seen: list[ScannerOutput] = []

    def put(self, item: ScannerOutput) -> None:
        self.queue.put(item)

    def next(self) -> ScannerOutput:
        item = self.queue.get(timeout=WAIT)
        self.seen.append(item)
        return item

    def next_of(self, kind: type[Any]) -> Any:
        """The next output of ``kind``, skipping (but remembering) others."""
        while True:
            item = self.next()
            if isinstance(item, kind):
                return item

    def ready(self) -> ScannerReady:
        item: ScannerReady = self.next_of(ScannerReady)
        return item

    def scan(self) -> ScanEvent:
        item = self.next()
        assert isinstance(item, ScanEvent), f"expected a scan, got {item!r}"
        return item

    def problem(self) -> ScannerProblem:
        item = self.next()
        assert isinstance(item, ScannerProblem), f"expected a problem, got {item!r}"
        return item

    def drain(self) -> list[ScannerOutput]:
        """What is queued now, without waiting (after the scanner has finished)."""
        items = []
        while not self.queue.empty():
            items.append(self.next())
        return items


class PtyPort:
    """A serial device the test can unplug and plug back in.

    A pseudo-terminal behind a symlink, as /dev/serial/by-id links point at /dev/ttyUSB*: the
    link stays put while the pty behind it changes, so a scanner reopening the link finds the
    "replugged" device. pyserial opens the slave side by path, exactly as on a kiosk.
    """

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.plug()

    def plug(self) -> None:
        self.master, slave = os.openpty()
        self.slave_path = os.ttyname(slave)
        os.close(slave)  # the scanner opens it by name, like a real port
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(self.slave_path)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view) :]

    def unplug(self) -> None:
        os.close(self.master)
        self.master = -1
        self.link.unlink(missing_ok=True)

    def close(self) -> None:
        if self.master >= 0:
            self.unplug()


class ScannerDouble:
    """Stands in for ``evdev.InputDevice``: the test types events; a pipe wakes the scanner.

    Each ``type`` call is one read, as the kernel hands a scanner what has arrived so far.
    """

    def __init__(self, path: str, name: str = "Barcode Scanner HID KBW") -> None:
        self.path = path
        self.name = name
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._reads: collections.deque[tuple[list[Any], Callable[[], None] | None]] = (
            collections.deque()
        )
        self._lock = threading.Lock()
        self.all_read = threading.Event()
        self.grabbed = False
        self.closed = False
        self.unplugged = False
        self.grab_error: OSError | None = None
        self.read_error: Exception | None = None  # raised by the next read, once
        self.grab_count = 0

    def fileno(self) -> int:
        return self._wake_r

    def read(self) -> list[Any]:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        error, self.read_error = self.read_error, None
        if error is not None:
            raise error
        with self._lock:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_r, 4096)
            if not self._reads:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            events, stall = self._reads.popleft()
            if self._reads:
                os.write(self._wake_w, b"k")  # more is waiting: poll must wake again at once
            else:
                self.all_read.set()
        if stall is not None:
            stall()
        return events

    def type(self, events: list[Any], *, then_stall: Callable[[], None] | None = None) -> None:
        """Queue ``events`` for one read; ``then_stall`` runs as the scanner gets them."""
        self.type_in_reads([events], then_stall=then_stall)

    def type_in_reads(
        self, reads: list[list[Any]], *, then_stall: Callable[[], None] | None = None
    ) -> None:
        """Queue several reads at once; ``then_stall`` runs after the first (a slow thread)."""
        with self._lock:
            self.all_read.clear()
            for index, events in enumerate(reads):
                self._reads.append((events, then_stall if index == 0 else None))
        os.write(self._wake_w, b"k")

    def nudge(self) -> None:
        """Wake the scanner with nothing to read, as when another scanner of the node took it."""
        os.write(self._wake_w, b"n")

    def unplug(self) -> None:
        self.unplugged = True
        os.write(self._wake_w, b"u")

    def grab(self) -> None:
        if self.grab_error is not None:
            raise self.grab_error
        self.grabbed = True
        self.grab_count += 1

    def ungrab(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def close(self) -> None:
        if not self.closed:
            os.close(self._wake_r)
            os.close(self._wake_w)
            self.closed = True


class InputDevicesDouble:
    """The machine's /dev/input as the test arranges it: plug doubles in, take them out."""

    def __init__(self) -> None:
        self.plugged: dict[str, ScannerDouble] = {}
        self.infos: list[InputDeviceInfo] = []
        self.opened: list[ScannerDouble] = []
        self.permission_denied: set[str] = set()
        self.open_error: Exception | None = None  # raised by every open while set

    def plug(self, path: str, name: str = "Barcode Scanner HID KBW") -> ScannerDouble:
        device = ScannerDouble(path, name)
        self.plugged[path] = device
        return device

    def open(self, path: str) -> ScannerDouble:
        if self.open_error is not None:
            raise self.open_error
        if path in self.permission_denied:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        device = self.plugged.pop(path, None)
        if device is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        self.opened.append(device)
        return device

    def find(self) -> list[InputDeviceInfo]:
        return list(self.infos)

    def close(self) -> None:
        for device in [*self.plugged.values(), *self.opened]:
            device.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def manual_wait() -> ManualWait:
    return ManualWait()


@pytest.fixture
def outputs() -> Outputs:
    return Outputs()


@pytest.fixture
def make_pty_port() -> Iterator[Callable[[Path], PtyPort]]:
    ports: list[PtyPort] = []

    def make(link: Path) -> PtyPort:
        ports.append(PtyPort(link))
        return ports[-1]

    yield make
    for port in ports:
        port.close()


@pytest.fixture
def pty_port(tmp_path: Path, make_pty_port: Callable[[Path], PtyPort]) -> PtyPort:
    return make_pty_port(tmp_path / "ttyUSB-scanner")


def make_rdm_frame(id_hex: str, *, corrupt: bool = False) -> bytes:
    """An RDM6300 frame: STX, the ten hex digits, their XOR checksum in hex, ETX."""
    check = 0
    for value in bytes.fromhex(id_hex):
        check ^= value
    if corrupt:
        check ^= 0x01
    return b"\x02" + f"{id_hex}{check:02X}".encode() + b"\x03"


@pytest.fixture
def rdm_frame() -> Callable[..., bytes]:
    return make_rdm_frame


@pytest.fixture
def input_devices() -> Iterator[InputDevicesDouble]:
    devices = InputDevicesDouble()
    yield devices
    devices.close()


@pytest.fixture
def host_with(input_devices: InputDevicesDouble) -> Callable[..., Host]:
    """A Host with the input-device doubles; keyword arguments override its other parts."""

    def build(**parts: Any) -> Host:
        parts.setdefault("open_input_device", input_devices.open)
        parts.setdefault("find_input_devices", input_devices.find)
        return Host(**parts)

    return build


@pytest.fixture
def key_events() -> Callable[..., list[Any]]:
    """Build the ``evdev.InputEvent`` sequence a US-layout wedge scanner sends for some text.

    Imports evdev here, not at the top: tests using it fail (never skip) without evdev.
    """
    from evdev import InputEvent, ecodes

    names = {ch: f"KEY_{ch.upper()}" for ch in "abcdefghijklmnopqrstuvwxyz0123456789"}
    names.update({"-": "KEY_MINUS", ".": "KEY_DOT", "/": "KEY_SLASH", " ": "KEY_SPACE"})
    shifted = {"!": "KEY_1", "@": "KEY_2", "#": "KEY_3", "$": "KEY_4", "(": "KEY_9", ")": "KEY_0"}

    def build(
        text: str, *, keypad: bool = False, enter: bool = True, t: float = 0.0, msc: bool = True
    ) -> list[Any]:
        events: list[Any] = []

        def emit(etype: int, code: int, value: int) -> None:
            sec = int(t)
            events.append(InputEvent(sec, int((t - sec) * 1e6), etype, code, value))

        def press(code: int, value: int) -> None:
            if msc:
                emit(ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code)
            emit(ecodes.EV_KEY, code, value)
            emit(ecodes.EV_SYN, ecodes.SYN_REPORT, 0)

        for ch in text:
            shift = ch.isupper() or ch in shifted
            name = shifted.get(ch) or names[ch.lower()]
            if keypad and ch.isdigit():
                name = f"KEY_KP{ch}"
            code = ecodes.ecodes[name]
            if shift:
                press(ecodes.KEY_LEFTSHIFT, 1)
            press(code, 1)
            press(code, 0)
            if shift:
                press(ecodes.KEY_LEFTSHIFT, 0)
        if enter:
            code = ecodes.KEY_KPENTER if keypad else ecodes.KEY_ENTER
            press(code, 1)
            press(code, 0)
        return events

    return build
