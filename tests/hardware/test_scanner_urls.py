"""Scanner URLs: what each part means, the defaults, and loud errors for mistakes."""

from __future__ import annotations

import pytest

from hardware import ScannerRole, ScannerUrlError, open_scanner
from hardware.spec import parse_scanner_url


def test_evdev_by_id_path_with_role_and_options():
    spec = parse_scanner_url(
        "evdev:///dev/input/by-id/usb-Scanner-event-kbd?role=book&debounce=1.5&timeout=0.2"
    )
    assert spec.scheme == "evdev"
    assert spec.target == "/dev/input/by-id/usb-Scanner-event-kbd"
    assert spec.source == "evdev:///dev/input/by-id/usb-Scanner-event-kbd"
    assert (spec.role, spec.debounce, spec.timeout) == (ScannerRole.BOOK, 1.5, 0.2)
    assert spec.terminator == "enter" and not spec.tab_ends_code


def test_evdev_by_usb_id_and_by_name():
    assert parse_scanner_url("evdev://0c2e:0b61").target == "0c2e:0b61"
    assert parse_scanner_url("evdev://Barcode%20Scanner%20HID%20KBW").target == (
        "Barcode Scanner HID KBW"
    )


def test_serial_defaults_and_baud_rate():
    spec = parse_scanner_url("serial:///dev/ttyUSB0?baudrate=115200")
    assert (spec.target, spec.baudrate, spec.terminator, spec.timeout) == (
        "/dev/ttyUSB0",
        115200,
        "any",
        0.5,
    )
    assert spec.role is ScannerRole.ANY and spec.debounce == 2.0 and spec.max_length == 64


def test_rdm6300_options():
    spec = parse_scanner_url("rdm6300:///dev/serial0?role=card&format=hex&lifted_after=1")
    assert (spec.baudrate, spec.card_format, spec.lifted_after) == (9600, "hex", 1.0)


def test_name_option_names_the_source_and_tab_terminator():
    spec = parse_scanner_url("evemu:rec.evemu?name=front%20door&terminator=enter,tab&pace=1")
    assert (spec.source, spec.target, spec.tab_ends_code, spec.pace) == (
        "front door",
        "rec.evemu",
        True,
        True,
    )


def test_stdin_has_no_time_out_by_default():
    assert parse_scanner_url("stdin:").timeout == 0


def test_plus_in_a_pattern_is_kept():
    spec = parse_scanner_url(r"fake:?card=S\d+&book=LIB-\d%7B5%7D")
    assert spec.card_patterns[0].pattern == r"S\d+"
    assert spec.book_patterns[0].pattern == r"LIB-\d{5}"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("usb:///dev/x", "scheme"),
        ("/dev/ttyUSB0", "scheme"),
        ("serial:", "needs a device"),
        ("serial:///dev/ttyUSB0?debunce=2", "unknown option 'debunce'"),
        ("serial:///dev/ttyUSB0?role=teacher", "role='teacher'"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "not a number"),
        ("serial:///dev/ttyUSB0?max_length=0", "between"),
        ("serial:///dev/ttyUSB0?terminator=tab", "terminator"),
        ("evdev:///dev/input/event3?terminator=cr", "terminator"),
        ("fake:?card=(", "regular expression"),
        ("fake:?timeout=1", "unknown option"),
        ("rdm6300:///dev/serial0?format=octal", "format"),
        ("serial:///dev/tty%00S0", "control character"),
        ("evdev:///dev/input/event3%0A", "control character"),
        ("evemu:rec%07.evemu", "control character"),
        ("serial://loop://", "absolute path"),
        ("serial://socket://10.0.0.5:7777", "absolute path"),
        ("rdm6300://spy:///dev/ttyUSB0", "absolute path"),
        ("serial://dev/ttyUSB0", "serial:///dev/ttyUSB0"),
        ("rdm6300:serial0", "absolute path"),
        ("evdev://dev/input/by-id/usb-Scanner-event-kbd", "evdev:///dev/input/by-id/"),
        ("stdin:/file", "takes no target"),
        ("fake:junk", "takes no target"),
        ("fake://card", "takes no target"),
    ],
)
def test_mistakes_fail_loudly_with_the_reason(url, complaint):
    with pytest.raises(ScannerUrlError, match=complaint.replace("(", r"\(")):
        parse_scanner_url(url)


@pytest.mark.parametrize(
    "url", ["serial:///dev/tty%00S0", "serial://loop://", "stdin:/file", "fake:junk"]
)
def test_open_scanner_refuses_targets_that_cannot_work_before_any_thread_starts(url):
    with pytest.raises(ScannerUrlError):
        open_scanner(url)


def test_open_scanner_never_falls_back_to_a_fake():
    with pytest.raises(ScannerUrlError):
        open_scanner("scanner")
    scanner = open_scanner("serial:///dev/does-not-exist")
    assert type(scanner).__name__ == "Scanner"
    scanner.close()
