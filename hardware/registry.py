"""The one place a reader URL becomes a Reader; nothing falls back to a fake."""

from __future__ import annotations

from hardware.debounce import Debouncer
from hardware.host import Host
from hardware.reader import FakeReader, Reader
from hardware.sources.base import Source
from hardware.sources.evdev_device import EvdevSource
from hardware.sources.evemu import EvemuSource
from hardware.sources.fake import FakeSource
from hardware.sources.serial_port import SerialSource
from hardware.sources.stdin import StdinSource
from hardware.spec import ReaderSpec, parse_reader_url


def open_reader(
    url: str, *, host: Host | None = None, debouncer: Debouncer | None = None
) -> Reader:
    """Build the reader a URL names, ready to ``start``; see docs/hardware.md for every URL.

    Raises ReaderUrlError for a URL that cannot work and MissingExtra when its driver library is
    not installed: both are configuration mistakes to show at start-up. A device that is merely
    absent is not an error here; the reader reports ``not_found`` and waits for it.
    Readers given the same ``debouncer`` share it, so two scanners of one role cannot double a scan.
    """
    spec = parse_reader_url(url)
    host = host if host is not None else Host()
    debouncer = debouncer if debouncer is not None else Debouncer()
    if spec.scheme == "fake":
        return FakeReader(spec, FakeSource(spec, host), host=host, debouncer=debouncer)
    return Reader(spec, _source(spec, host), host=host, debouncer=debouncer)


def _source(spec: ReaderSpec, host: Host) -> Source:
    if spec.scheme == "evdev":
        return EvdevSource(spec, host)
    if spec.scheme in ("serial", "rdm6300"):
        return SerialSource(spec, host)
    if spec.scheme == "evemu":
        return EvemuSource(spec, host)
    return StdinSource(spec, host)
