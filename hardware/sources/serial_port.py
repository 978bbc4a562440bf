"""Serial and USB-serial scanners (barcode, RDM6300 modules): the only importer of pyserial."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hardware.codes import CodeKind
from hardware.errors import DeviceLost, DeviceUnavailable, MissingExtra, open_failure
from hardware.framing import LineFramer
from hardware.host import Host
from hardware.pipeline import ScanPipeline
from hardware.rdm6300 import Rdm6300Framer
from hardware.sources.base import ByteFramer, keep_connected, pump_bytes
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal

_READ_SIZE = 4096
_BY_ID = Path("/dev/serial/by-id")


def pyserial() -> ModuleType:
    """Import pyserial on first use, so ``hardware`` imports on a machine without it."""
    try:
        import serial
    except ImportError:
        raise MissingExtra("pyserial") from None
    module: ModuleType = serial
    return module


class SerialSource:
    """A serial port read with pyserial, reopened with back-off whenever it fails."""

    def __init__(self, spec: ScannerSpec, host: Host):
        self.spec = spec
        self._host = host
        self._serial = pyserial()

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None:
        keep_connected(self._connect, sink, stop, self._host)

    def _connect(self) -> _SerialConnection:
        spec = self.spec
        try:
            # A port by its path, never serial_for_url: a URL handler (loop://, socket://) is not a
            # scanner. exclusive=True takes a lock, so a second kiosk cannot read half the codes.
            port = self._serial.Serial(
                spec.target, baudrate=spec.baudrate, timeout=0, exclusive=True
            )
        except (self._serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(
                open_failure(exc.errno), f"cannot open {spec.target}: {exc}"
            ) from None
        framer: ByteFramer
        if spec.scheme == "rdm6300":
            framer = Rdm6300Framer(lifted_after=spec.lifted_after, card_format=spec.card_format)
        else:
            framer = LineFramer(
                max_length=spec.max_length, timeout=spec.timeout, terminator=spec.line_terminator
            )
        return _SerialConnection(port, framer, self._host, spec)


class _SerialConnection:
    def __init__(self, port: Any, framer: ByteFramer, host: Host, spec: ScannerSpec):
        self._port = port
        self._framer = framer
        self._host = host
        self._kind = CodeKind.RFID_EM4100 if spec.scheme == "rdm6300" else None
        self.device = f"{spec.target} at {spec.baudrate} baud"

    def pump(self, sink: ScanPipeline, stop: StopSignal) -> None:
        clock = self._host.clock
        try:
            stopped = pump_bytes(
                self._port.fileno(),
                lambda: bytes(self._port.read(_READ_SIZE)),
                self._framer,
                sink,
                stop,
                clock,
                self._kind,
            )
        except (pyserial().SerialException, OSError) as exc:
            # Unplugged USB-serial adapters and hung-up ptys end here (EIO, or "no data").
            sink.decoded(self._framer.reset(), clock(), self._kind)
            raise DeviceLost(f"{self.device}: {exc}") from None
        if not stopped:
            raise DeviceLost(f"{self.device}: the port reported end of file")

    def close(self) -> None:
        try:
            self._port.close()
        except (pyserial().SerialException, OSError):
            pass  # the device is already gone; nothing is left to release


@dataclass(frozen=True)
class SerialPortInfo:
    """A serial port that could carry a scanner, as ``kiosk scanners list`` shows it."""

    path: str
    description: str
    usb_id: str | None
    by_id: tuple[str, ...]
    can_open: bool
    problem: str


def list_serial_ports() -> list[SerialPortInfo]:
    """Every serial port pyserial knows (and links like /dev/serial0); can we open it now?"""
    pyserial()
    from serial.tools import list_ports

    by_id: dict[str, list[str]] = {}
    if _BY_ID.is_dir():
        for link in sorted(_BY_ID.iterdir()):
            by_id.setdefault(str(link.resolve()), []).append(str(link))
    ports = []
    for info in sorted(list_ports.comports(include_links=True), key=lambda p: p.device):
        usb_id = f"{info.vid:04x}:{info.pid:04x}" if info.vid is not None else None
        resolved = str(Path(info.device).resolve())
        can_open, problem = _try_open(info.device)
        ports.append(
            SerialPortInfo(
                path=info.device,
                description=info.description,
                usb_id=usb_id,
                by_id=tuple(by_id.get(resolved, ())),
                can_open=can_open,
                problem=problem,
            )
        )
    return ports


def _try_open(path: str) -> tuple[bool, str]:
    # Not through pyserial: opening with it would reprogram the port's speed under whoever uses
    # it. A bare open plus the same lock pyserial takes answers "could a scanner use it now?".
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return False, f"{open_failure(exc.errno).value}: {exc.strerror}"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        return False, f"{open_failure(exc.errno).value}: another program holds the port"
    finally:
        os.close(fd)
    return True, ""
