"""Drivers for the kiosk's barcode and card scanners: open a scanner by URL, receive ScanEvents.

Imports nothing from ``kiosk`` or ``sync``; evdev and pyserial are imported only when a scanner
that needs them is opened.
"""

from hardware.codes import CodeKind, ScannerRole, classify
from hardware.debounce import Debouncer
from hardware.errors import MissingExtra, ScannerUrlError
from hardware.events import Reason, ScanEvent, ScannerOutput, ScannerProblem, ScannerReady
from hardware.host import Host
from hardware.registry import open_scanner
from hardware.scanner import FakeScanner, Scanner

__all__ = [
    "CodeKind",
    "Debouncer",
    "FakeScanner",
    "Host",
    "MissingExtra",
    "Reason",
    "ScanEvent",
    "Scanner",
    "ScannerOutput",
    "ScannerProblem",
    "ScannerReady",
    "ScannerRole",
    "ScannerUrlError",
    "classify",
    "open_scanner",
]
