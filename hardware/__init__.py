"""Scanner and card-reader drivers for the kiosk: open a reader by URL, receive ScanEvents.

Imports nothing from ``kiosk`` or ``sync``; evdev and pyserial are imported only when a reader
that needs them is opened.
"""

from hardware.codes import CodeKind, ScannerRole, classify
from hardware.debounce import Debouncer
from hardware.errors import MissingExtra, ReaderUrlError
from hardware.events import ReaderOutput, ReaderProblem, ReaderReady, Reason, ScanEvent
from hardware.host import Host
from hardware.reader import FakeReader, Reader
from hardware.registry import open_reader

__all__ = [
    "CodeKind",
    "Debouncer",
    "FakeReader",
    "Host",
    "MissingExtra",
    "Reader",
    "ReaderOutput",
    "ReaderProblem",
    "ReaderReady",
    "ReaderUrlError",
    "Reason",
    "ScanEvent",
    "ScannerRole",
    "classify",
    "open_reader",
]
