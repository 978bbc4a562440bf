"""What scanners take from the machine: a monotonic clock, a way to wait, input devices and stdin.

The default Host is the real machine. Tests build one with a clock they advance, a wait they
drive, and input-device doubles; nothing here ever picks a double by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from hardware.waiting import StopSignal, wait_or_stop
from hardware.wedge import KeyInput


class InputDevice(Protocol):
    """The part of ``evdev.InputDevice`` a wedge source uses; a test double implements the same."""

    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str: ...
    def fileno(self) -> int: ...
    def read(self) -> Iterable[KeyInput]: ...
    def grab(self) -> None: ...
    def ungrab(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class InputDeviceInfo:
    """One ``/dev/input/event*`` node as the probe and the by-id/name resolution see it."""

    path: str
    name: str
    vendor: int
    product: int
    by_id: tuple[str, ...] = ()
    keyboard_like: bool = False

    @property
    def usb_id(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"


@dataclass(frozen=True)
class Host:
    clock: Callable[[], float] = time.monotonic
    # Back-off waits go through here: True means "stop now". Tests record or release them.
    wait: Callable[[StopSignal, float], bool] = wait_or_stop
    # None means python-evdev's InputDevice and /dev/input; a test passes doubles explicitly.
    open_input_device: Callable[[str], InputDevice] | None = None
    find_input_devices: Callable[[], list[InputDeviceInfo]] | None = None
    stdin: BinaryIO | None = field(default=None)
