"""The exceptions of the hardware package: configuration mistakes that fail loudly at start-up."""

from __future__ import annotations

import errno

from hardware.events import Reason


class ScannerUrlError(ValueError):
    """A scanner URL that cannot be opened as written: unknown scheme, option or value."""


class MissingExtra(ImportError):  # noqa: N818 - named for what the user must install
    """A driver library is not installed; the message names the package extra that provides it."""

    def __init__(self, module: str):
        super().__init__(
            f"the Python package {module!r} is not installed; install the 'scanners' extra: "
            "pip install 'school-library-kiosk[scanners]'"
        )
        self.module = module


class DeviceUnavailable(Exception):  # noqa: N818 - a state of the device, not a programming error
    """A source could not open its device this time; the scanner reports it and retries."""

    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


class DeviceLost(Exception):  # noqa: N818 - a state of the device, not a programming error
    """An open device stopped answering (unplugged, ENODEV, EIO); the scanner reopens it."""


def open_failure(code: int | None) -> Reason:
    """The reason to report for an ``OSError`` errno met while opening a device or file."""
    if code in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
        return Reason.NOT_FOUND
    if code in (errno.EACCES, errno.EPERM):
        return Reason.PERMISSION_DENIED
    if code in (errno.EBUSY, errno.EAGAIN):  # EAGAIN: another process holds a serial port's lock
        return Reason.BUSY
    return Reason.OPEN_FAILED
