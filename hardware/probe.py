"""``kiosk scanners``: list devices that could be scanners; watch scanners decode, as JSON lines."""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from hardware.debounce import Debouncer
from hardware.errors import MissingExtra, ScannerUrlError
from hardware.events import Reason, ScanEvent, ScannerOutput, ScannerProblem, ScannerReady
from hardware.host import InputDeviceInfo
from hardware.registry import open_scanner
from hardware.scanner import Scanner
from hardware.sources.evdev_device import (
    AccessCheck,
    check_access,
    list_input_devices,
    python_evdev,
)
from hardware.sources.serial_port import SerialPortInfo, list_serial_ports

EXIT_INTERRUPTED = 130  # the shell's convention for "ended by Ctrl+C"
EXIT_USAGE = 2
EXIT_SCANNER_FAILED = 1

LIST_EXAMPLES = """\
examples:
  kiosk scanners list              every keyboard-like input device and serial port
  kiosk scanners list --json       the same as one JSON object, for scripts
"""
WATCH_EXAMPLES = """\
examples:
  kiosk scanners watch 'evdev:///dev/input/by-id/usb-Netum_Barcode_Scanner-event-kbd?role=book'
  kiosk scanners watch 'serial:///dev/ttyUSB0?baudrate=9600&role=book' 'rdm6300:///dev/serial0?role=card'
  kiosk scanners watch 'evemu:scanner.evemu?role=book'     replay a recording, exit at its end
  kiosk scanners watch stdin:                               type codes, one per line

Prints one JSON object per line: {"event": "scan", "source", "role", "text", "kind", "time"} for
each code read, {"event": "problem", "source", "role", "reason", "message", "time"} for each
problem. Status goes to stderr. Runs until Ctrl+C, or until every scanner has ended.

exit status: 0 when every scanner read its input to the end, or on SIGTERM; 1 when a scanner
failed (scanner_failed) or a recording or stdin could not be read; 2 for a bad URL or a missing
'scanners' extra; 130 on Ctrl+C.
"""


class _Terminated(Exception):  # noqa: N818 - a signal, not an error
    """Raised in the main thread by SIGTERM so ``watch`` stops its scanners on the way out."""


def main(argv: list[str] | None = None) -> int:
    """Run ``kiosk scanners ARGV...``; returns the exit status instead of exiting."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits for --help and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk scanners",
        description="Find barcode and card scanners, and check what they read.",
        epilog="examples:\n  kiosk scanners list\n  kiosk scanners watch 'evemu:scanner.evemu'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", title="commands")
    listing = commands.add_parser(
        "list",
        help="show input devices and serial ports that could be scanners",
        description="Show every keyboard-like input device and serial port, with the URL to use, "
        "its USB id and name, and whether this user can open (and grab) it now.",
        epilog=LIST_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.add_argument(
        "--all", action="store_true", help="also input devices that type no digits"
    )
    listing.set_defaults(handler=_list)
    watch = commands.add_parser(
        "watch",
        help="print what scanners decode, one JSON object per line",
        description="Open each scanner URL and print every scan and problem as a JSON line.",
        epilog=WATCH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    watch.add_argument("urls", nargs="+", metavar="URL", help="scanner URL (see docs/hardware.md)")
    watch.set_defaults(handler=_watch)
    return parser


def _list(args: argparse.Namespace) -> int:
    inputs = [d for d in list_input_devices() if args.all or d.keyboard_like]
    notes: list[str] = []
    access: Callable[[str], AccessCheck] | None = check_access
    try:
        python_evdev()
    except MissingExtra as exc:
        access, notes = None, [str(exc)]
    try:
        ports = list_serial_ports()
    except MissingExtra as exc:
        ports, notes = [], [*notes, str(exc)]
    return render_list(sys.stdout, inputs, ports, access, as_json=args.json, notes=notes)


def render_list(
    out: TextIO,
    inputs: list[InputDeviceInfo],
    ports: list[SerialPortInfo],
    access: Callable[[str], AccessCheck] | None,
    *,
    as_json: bool,
    notes: Sequence[str] = (),
) -> int:
    """Print the inventory; ``access`` checks open/grab per input device (None: cannot check)."""
    input_rows = [_input_row(d, access) for d in inputs]
    port_rows = [_port_row(p) for p in ports]
    if as_json:
        document = {"input_devices": input_rows, "serial_ports": port_rows, "notes": list(notes)}
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0
    out.write("Input devices (barcode and card scanners in keyboard mode):\n")
    for row in input_rows:
        out.write(
            f"  {row['url']}\n      {row['usb_id']}  {row['name']!r}  open: "
            f"{_yes_no(row['can_open'])}  grab: {_yes_no(row['can_grab'])}  {row['problem']}\n"
        )
    if not input_rows:
        out.write("  none found\n")
    out.write("Serial ports (serial scanners, RDM6300 modules):\n")
    for row in port_rows:
        out.write(
            f"  {row['url']}\n      {row['usb_id'] or '-'}  {row['description']!r}  open: "
            f"{_yes_no(row['can_open'])}  {row['problem']}\n"
        )
    if not port_rows:
        out.write("  none found\n")
    for note in notes:
        out.write(f"note: {note}\n")
    return 0


def _input_row(
    device: InputDeviceInfo, access: Callable[[str], AccessCheck] | None
) -> dict[str, Any]:
    # Prefer the by-id link of the keyboard interface: it survives reboots and replugs.
    links = sorted(device.by_id, key=lambda link: not link.endswith("-event-kbd"))
    check = access(device.path) if access is not None else None
    return {
        "url": f"evdev://{links[0] if links else device.path}",
        "path": device.path,
        "by_id": list(device.by_id),
        "usb_id": device.usb_id,
        "name": device.name,
        "keyboard_like": device.keyboard_like,
        "can_open": check.can_open if check else None,
        "can_grab": check.can_grab if check else None,
        "problem": check.problem if check else "evdev is not installed",
    }


def _port_row(port: SerialPortInfo) -> dict[str, Any]:
    return {
        "url": f"serial://{port.by_id[0] if port.by_id else port.path}",
        "path": port.path,
        "by_id": list(port.by_id),
        "usb_id": port.usb_id,
        "description": port.description,
        "can_open": port.can_open,
        "problem": port.problem,
    }


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _watch(args: argparse.Namespace) -> int:
    debouncer = Debouncer()  # shared: two scanners of one role cannot double a scan
    scanners: list[Scanner] = []
    try:
        for url in args.urls:
            scanners.append(open_scanner(url, debouncer=debouncer))
    except (ScannerUrlError, MissingExtra) as exc:
        sys.stderr.write(f"kiosk scanners watch: {exc}\n")
        _close_all(scanners)
        return EXIT_USAGE
    outputs: queue.SimpleQueue[ScannerOutput | None] = queue.SimpleQueue()
    try:
        with _sigterm_raises():
            for scanner in scanners:
                scanner.start(outputs.put, on_end=lambda: outputs.put(None))
            running = len(scanners)
            while running:
                item = outputs.get()
                if item is None:
                    running -= 1
                else:
                    _print_output(item)
        return EXIT_SCANNER_FAILED if any(map(_failed, scanners)) else 0
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except _Terminated:
        return 0
    except BrokenPipeError:
        # The consumer (`| head`) has gone; point stdout at /dev/null so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        _close_all(scanners)


def _failed(scanner: Scanner) -> bool:
    """A scanner that ended by itself failed if it never opened its input or hit a bug."""
    counts = scanner.counts
    return bool(counts[Reason.SCANNER_FAILED.value]) or not counts["ready"]


def _close_all(scanners: list[Scanner]) -> None:
    for scanner in scanners:
        scanner.stop()
    for scanner in scanners:
        scanner.close()


def _print_output(item: ScannerOutput) -> None:
    if isinstance(item, ScannerReady):
        sys.stderr.write(f"kiosk scanners watch: reading {item.device} as {item.source}\n")
        sys.stderr.flush()
        return
    sys.stdout.write(json.dumps(as_record(item), ensure_ascii=False) + "\n")
    sys.stdout.flush()  # one line per scan, as it happens: watchers pipe this into other tools


def as_record(item: ScanEvent | ScannerProblem) -> dict[str, Any]:
    """The JSON object ``watch`` prints for a scan or a problem."""
    if isinstance(item, ScanEvent):
        return {
            "event": "scan",
            "source": item.source,
            "role": item.role.value,
            "text": item.text,
            "kind": item.kind.value,
            "time": round(item.time, 6),
        }
    return {
        "event": "problem",
        "source": item.source,
        "role": item.role.value,
        "reason": item.reason.value,
        "message": item.message,
        "time": round(item.time, 6),
    }


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Make SIGTERM end ``watch`` like Ctrl+C does, restoring the previous handler afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread; the caller owns signals
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
