"""USB HID wedge scanners through python-evdev: find, open, grab, decode, regrab after an unplug.

The only importer of evdev. Finding devices reads sysfs instead, so the probe lists devices the
kiosk user may not open yet.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from hardware.errors import DeviceLost, DeviceUnavailable, MissingExtra, open_failure
from hardware.events import Reason
from hardware.host import Host, InputDevice, InputDeviceInfo
from hardware.pipeline import ScanPipeline
from hardware.sources.base import keep_connected
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal, Wake
from hardware.wedge import WedgeDecoder

_USB_ID = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")
_ENTER_AND_DIGIT_ROW = (1 << 28) | sum(1 << code for code in range(2, 12))
# EVIOCSCLOCKID, _IOW('E', 0xa0, int): which clock stamps this file's events.
_EVIOCSCLOCKID = 0x400445A0


def python_evdev() -> ModuleType:
    """Import python-evdev on first use, so ``hardware`` imports on a machine without it."""
    try:
        import evdev
    except ImportError:
        raise MissingExtra("evdev") from None
    return evdev


def open_evdev_device(path: str) -> InputDevice:
    device: InputDevice = python_evdev().InputDevice(path)
    # Key gaps are measured with the events' timestamps, which are wall-clock time by default;
    # a Pi has no RTC and steps its clock at the first NTP sync, which could cut a code in two.
    # The monotonic clock never steps (libinput asks for it too).
    with contextlib.suppress(OSError):  # kernels before 3.4: wall-clock stamps, still readable
        fcntl.ioctl(device.fileno(), _EVIOCSCLOCKID, struct.pack("i", time.CLOCK_MONOTONIC))
    return device


class EvdevSource:
    """One wedge scanner, named by path, USB id or device name; grabbed so no key reaches the UI."""

    def __init__(self, spec: ScannerSpec, host: Host):
        self.spec = spec
        self._host = host
        if host.open_input_device is None:
            python_evdev()  # fail at configuration time, not at the first scan
        self._open = host.open_input_device or open_evdev_device
        self._find = host.find_input_devices or list_input_devices

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None:
        keep_connected(self._connect, sink, stop, self._host)

    def resolve(self) -> str:
        """The event node to open now: event numbers change between boots and replugs."""
        target = self.spec.target
        if target.startswith("/"):
            return target
        usb_id = _USB_ID.fullmatch(target)
        found = [
            d
            for d in self._find()
            if (
                (d.vendor, d.product) == (int(usb_id[1], 16), int(usb_id[2], 16))
                if usb_id
                else d.name.casefold() == target.casefold()
            )
        ]
        keyboards = [d for d in found if d.keyboard_like]
        if not keyboards:
            what = "with a keyboard interface " if found else ""
            raise DeviceUnavailable(Reason.NOT_FOUND, f"no input device {what}matches {target!r}")
        if len(keyboards) > 1:
            paths = ", ".join(d.by_id[0] if d.by_id else d.path for d in keyboards)
            raise DeviceUnavailable(
                Reason.AMBIGUOUS, f"{target!r} matches {paths}; name one by its by-id or by-path"
            )
        return keyboards[0].path

    def _connect(self) -> _EvdevConnection:
        path = self.resolve()
        try:
            device = self._open(path)
        except OSError as exc:
            raise DeviceUnavailable(
                open_failure(exc.errno), f"cannot open {path}: {exc.strerror}"
            ) from None
        try:
            # Exclusive: without the grab a scan also types into the UI or the console.
            device.grab()
        except OSError as exc:
            device.close()
            if exc.errno == errno.EBUSY:
                raise DeviceUnavailable(
                    Reason.BUSY, f"{path} is grabbed by another program (a second kiosk? evtest?)"
                ) from None
            raise DeviceUnavailable(Reason.OPEN_FAILED, f"cannot grab {path}: {exc}") from None
        decoder = WedgeDecoder(
            max_length=self.spec.max_length,
            timeout=self.spec.timeout,
            tab_ends_code=self.spec.tab_ends_code,
        )
        return _EvdevConnection(device, decoder, self._host)


class _EvdevConnection:
    def __init__(self, device: InputDevice, decoder: WedgeDecoder, host: Host):
        self._device = device
        self._decoder = decoder
        self._host = host
        self.device = f"{device.path} ({device.name}), grabbed"

    def pump(self, sink: ScanPipeline, stop: StopSignal) -> None:
        decoder, clock, fd = self._decoder, self._host.clock, self._device.fileno()
        while True:
            deadline = decoder.deadline()
            wake = stop.wait_readable(
                fd, None if deadline is None else max(0.0, deadline - clock())
            )
            now = clock()
            if wake is Wake.STOP:
                return
            if wake is Wake.TIMEOUT:
                sink.decoded(decoder.expire(now), now)
                continue
            try:
                events = list(self._device.read())
            except BlockingIOError:
                continue  # woken for nothing (another scanner of the node took the events)
            except OSError as exc:
                # ENODEV: unplugged. This node is gone; the next one may have another number.
                sink.decoded(decoder.reset(), now)
                raise DeviceLost(f"{self.device}: {exc.strerror or exc}") from None
            for event in events:
                sink.decoded(decoder.feed(event, now), now)

    def close(self) -> None:
        # Release the grab first: a closed-but-grabbed fd held elsewhere would keep keys away.
        for release in (self._device.ungrab, self._device.close):
            # OSError: already unplugged, and the kernel dropped the grab with the device.
            with contextlib.suppress(OSError):
                release()


def list_input_devices(
    sys_class: Path = Path("/sys/class/input"), dev_input: Path = Path("/dev/input")
) -> list[InputDeviceInfo]:
    """Every ``event*`` node: name, USB id, by-id links, whether it types like a keyboard."""
    by_id: dict[str, list[str]] = {}
    if (dev_input / "by-id").is_dir():
        for link in sorted((dev_input / "by-id").iterdir()):
            by_id.setdefault(link.resolve().name, []).append(str(link))
    found = []
    for node in sorted(sys_class.glob("event*"), key=lambda p: int(p.name[5:] or 0)):
        device = node / "device"
        found.append(
            InputDeviceInfo(
                path=str(dev_input / node.name),
                name=_read(device / "name"),
                vendor=int(_read(device / "id" / "vendor") or "0", 16),
                product=int(_read(device / "id" / "product") or "0", 16),
                by_id=tuple(by_id.get(node.name, ())),
                keyboard_like=_types_like_keyboard(_read(device / "capabilities" / "key")),
            )
        )
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _types_like_keyboard(key_bitmap: str) -> bool:
    # The bitmap is hex words, most significant first; Enter and the digit row sit in the lowest
    # 32 bits, so the word size (32- or 64-bit kernel) does not matter.
    words = key_bitmap.split()
    return bool(words) and int(words[-1], 16) & _ENTER_AND_DIGIT_ROW == _ENTER_AND_DIGIT_ROW


@dataclass(frozen=True)
class AccessCheck:
    can_open: bool
    can_grab: bool
    problem: str = ""


def check_access(path: str) -> AccessCheck:
    """Can this process open and grab ``path``? (The probe's question; the grab ends at once.)"""
    evdev = python_evdev()
    try:
        device = evdev.InputDevice(path)
    except OSError as exc:
        return AccessCheck(False, False, f"{open_failure(exc.errno).value}: {exc.strerror}")
    try:
        device.grab()
    except OSError as exc:
        return AccessCheck(True, False, f"busy: {exc.strerror}")
    else:
        device.ungrab()
        return AccessCheck(True, True)
    finally:
        device.close()
