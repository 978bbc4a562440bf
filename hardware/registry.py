"""The one place a scanner URL becomes a Scanner; nothing falls back to a fake."""

from __future__ import annotations

from hardware.debounce import Debouncer
from hardware.host import Host
from hardware.scanner import FakeScanner, Scanner
from hardware.sources.base import Source
from hardware.sources.evdev_device import EvdevSource
from hardware.sources.evemu import EvemuSource
from hardware.sources.fake import FakeSource
from hardware.sources.serial_port import SerialSource
from hardware.sources.stdin import StdinSource
from hardware.spec import ScannerSpec, parse_scanner_url


def open_scanner(
    url: str, *, host: Host | None = None, debouncer: Debouncer | None = None
) -> Scanner:
    """Build the scanner a URL names, ready to ``start``; see docs/hardware.md for every URL.

    Raises ScannerUrlError for a URL that cannot work and MissingExtra when its driver library is
    not installed: both are configuration mistakes to show at start-up. A device that is merely
    absent is not an error here; the scanner reports ``not_found`` and waits for it.
    Scanners given the same ``debouncer`` share it: two scanners of one role cannot double a scan.
    """
    spec = parse_scanner_url(url)
    host = host if host is not None else Host()
    debouncer = debouncer if debouncer is not None else Debouncer()
    if spec.scheme == "fake":
        return FakeScanner(spec, FakeSource(spec, host), host=host, debouncer=debouncer)
    return Scanner(spec, _source(spec, host), host=host, debouncer=debouncer)


def _source(spec: ScannerSpec, host: Host) -> Source:
    if spec.scheme == "evdev":
        return EvdevSource(spec, host)
    if spec.scheme in ("serial", "rdm6300"):
        return SerialSource(spec, host)
    if spec.scheme == "evemu":
        return EvemuSource(spec, host)
    return StdinSource(spec, host)
