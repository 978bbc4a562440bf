"""Serial and RDM6300 scanners over real pseudo-terminals: pyserial opens the slave by path."""

from __future__ import annotations

import pytest

from hardware import (
    Host,
    Reason,
    ScanEvent,
    ScannerProblem,
    ScannerReady,
    ScannerRole,
    open_scanner,
)


@pytest.fixture
def serial_scanner(pty_port, outputs, manual_wait):
    """Start a scanner on the pty's stable link; the test drives its back-off by hand."""
    scanners = []

    def start(options: str = "", scheme: str = "serial"):
        url = f"{scheme}://{pty_port.link}{options}"
        scanner = open_scanner(url, host=Host(wait=manual_wait))
        scanners.append(scanner)
        scanner.start(outputs.put)
        assert isinstance(outputs.next(), ScannerReady)
        return scanner

    yield start
    for scanner in scanners:
        scanner.close()


def test_codes_with_crlf_arrive_as_scan_events(serial_scanner, pty_port, outputs):
    serial_scanner("?role=book&baudrate=9600")
    pty_port.write(b"9787020002207\r\n")
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == ("9787020002207", ScannerRole.BOOK, "isbn13")
    assert scan.source == f"serial://{pty_port.link}"


def test_unplug_mid_line_and_replug_reads_the_next_code_whole(
    serial_scanner, pty_port, outputs, manual_wait
):
    serial_scanner("?role=book")
    pty_port.write(b"97870")
    pty_port.unplug()
    lost = outputs.next_of(ScannerProblem)
    while lost.reason is Reason.INCOMPLETE:  # if the half line was read before the hang-up
        lost = outputs.next_of(ScannerProblem)
    assert lost.reason is Reason.DISCONNECTED
    # Still unplugged at the first retry: it waits longer, and does not report every attempt.
    assert manual_wait.next_request() == 0.5
    manual_wait.release()
    assert manual_wait.next_request() == 1.0
    pty_port.plug()
    manual_wait.release()
    assert isinstance(outputs.next(), ScannerReady)
    pty_port.write(b"9787536692930\r")
    assert outputs.scan().text == "9787536692930"
    assert not [o for o in outputs.seen if getattr(o, "reason", None) is Reason.NOT_FOUND]


def test_garbage_at_the_wrong_baud_rate_is_reported_and_reading_goes_on(
    serial_scanner, pty_port, outputs
):
    serial_scanner()
    pty_port.write(bytes([0xE0, 0x1C, 0xFE, 0x98, 0x86]) + b"\n")
    assert outputs.problem().reason is Reason.GARBLED
    pty_port.write(b"0012345678\n")
    assert outputs.scan().text == "0012345678"


def test_a_50_kb_line_without_terminator_does_not_hang_the_scanner(
    serial_scanner, pty_port, outputs
):
    serial_scanner("?max_length=64")
    pty_port.write(b"5" * 50_000)
    assert outputs.problem().reason is Reason.TOO_LONG
    pty_port.write(b"\r\n9787020002207\r\n")
    assert outputs.scan().text == "9787020002207"


def test_a_port_held_by_another_scanner_is_reported_busy(pty_port, outputs, manual_wait):
    with open_scanner(f"serial://{pty_port.link}", host=Host(wait=manual_wait)) as first:
        first.start(outputs.put)
        assert isinstance(outputs.next(), ScannerReady)
        second_outputs: list[object] = []
        with open_scanner(f"serial://{pty_port.link}", host=Host(wait=manual_wait)) as second:
            second.start(second_outputs.append)
            assert manual_wait.next_request() == 0.5
            (problem,) = second_outputs
            assert isinstance(problem, ScannerProblem) and problem.reason is Reason.BUSY


def test_a_missing_port_is_reported_once_then_found_when_plugged(
    tmp_path, outputs, manual_wait, make_pty_port
):
    link = tmp_path / "ttyACM0"
    with open_scanner(f"serial://{link}", host=Host(wait=manual_wait)) as scanner:
        scanner.start(outputs.put)
        assert outputs.problem().reason is Reason.NOT_FOUND
        assert manual_wait.next_request() == 0.5
        port = make_pty_port(link)
        try:
            manual_wait.release()
            assert isinstance(outputs.next(), ScannerReady)
            port.write(b"LIB-00042\r")
            assert outputs.scan().text == "LIB-00042"
        finally:
            scanner.stop()
            port.close()


def test_rdm6300_in_hex_format_on_a_shared_scanner_is_still_a_card(
    serial_scanner, pty_port, outputs, rdm_frame
):
    serial_scanner("?format=hex", scheme="rdm6300")
    pty_port.write(rdm_frame("0400BC614E"))
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == (
        "0400BC614E",
        ScannerRole.CARD,
        "rfid_em4100",
    )


def test_a_port_path_is_opened_as_a_path_never_as_a_pyserial_url(
    tmp_path, outputs, manual_wait, make_pty_port
):
    (tmp_path / "usb:").mkdir()
    port = make_pty_port(tmp_path / "usb:" / "scanner")
    with open_scanner(f"serial://{tmp_path}/usb://scanner", host=Host(wait=manual_wait)) as scanner:
        scanner.start(outputs.put)
        assert isinstance(outputs.next(), ScannerReady)
        port.write(b"LIB-00042\r")
        assert outputs.scan().text == "LIB-00042"


def test_rdm6300_good_corrupt_and_repeated_frames(serial_scanner, pty_port, outputs, rdm_frame):
    scanner = serial_scanner("?role=card", scheme="rdm6300")
    pty_port.write(rdm_frame("0400BC614E", corrupt=True))
    assert outputs.problem().reason is Reason.BAD_CHECKSUM
    pty_port.write(rdm_frame("0400BC614E") * 5)  # a card lying on the scanner
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == (
        "0012345678",
        ScannerRole.CARD,
        "rfid_em4100",
    )
    pty_port.write(rdm_frame("04DEADBEEF"))
    assert outputs.scan().text == "3735928559"
    scanner.stop()
    assert scanner.join(5)
    assert not [o for o in outputs.drain() if isinstance(o, ScanEvent)]
    assert scanner.counts["scan"] == 2 and scanner.counts["bad_checksum"] == 1
