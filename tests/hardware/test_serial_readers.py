"""Serial and RDM6300 readers over real pseudo-terminals: pyserial opens the slave by path."""

from __future__ import annotations

import pytest

from hardware import Host, ReaderProblem, ReaderReady, Reason, ScanEvent, ScannerRole, open_reader


@pytest.fixture
def serial_reader(pty_port, outputs, manual_wait):
    """Start a reader on the pty's stable link; the test drives its back-off by hand."""
    readers = []

    def start(options: str = "", scheme: str = "serial"):
        url = f"{scheme}://{pty_port.link}{options}"
        reader = open_reader(url, host=Host(wait=manual_wait))
        readers.append(reader)
        reader.start(outputs.put)
        assert isinstance(outputs.next(), ReaderReady)
        return reader

    yield start
    for reader in readers:
        reader.close()


def test_codes_with_crlf_arrive_as_scan_events(serial_reader, pty_port, outputs):
    serial_reader("?role=book&baudrate=9600")
    pty_port.write(b"9787020002207\r\n")
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == ("9787020002207", ScannerRole.BOOK, "isbn13")
    assert scan.source == f"serial://{pty_port.link}"


def test_unplug_mid_line_and_replug_reads_the_next_code_whole(
    serial_reader, pty_port, outputs, manual_wait
):
    serial_reader("?role=book")
    pty_port.write(b"97870")
    pty_port.unplug()
    lost = outputs.next_of(ReaderProblem)
    while lost.reason is Reason.INCOMPLETE:  # if the half line was read before the hang-up
        lost = outputs.next_of(ReaderProblem)
    assert lost.reason is Reason.DISCONNECTED
    # Still unplugged at the first retry: it waits longer, and does not report every attempt.
    assert manual_wait.next_request() == 0.5
    manual_wait.release()
    assert manual_wait.next_request() == 1.0
    pty_port.plug()
    manual_wait.release()
    assert isinstance(outputs.next(), ReaderReady)
    pty_port.write(b"9787536692930\r")
    assert outputs.scan().text == "9787536692930"
    assert not [o for o in outputs.seen if getattr(o, "reason", None) is Reason.NOT_FOUND]


def test_garbage_at_the_wrong_baud_rate_is_reported_and_reading_goes_on(
    serial_reader, pty_port, outputs
):
    serial_reader()
    pty_port.write(bytes([0xE0, 0x1C, 0xFE, 0x98, 0x86]) + b"\n")
    assert outputs.problem().reason is Reason.GARBLED
    pty_port.write(b"0012345678\n")
    assert outputs.scan().text == "0012345678"


def test_a_50_kb_line_without_terminator_does_not_hang_the_reader(serial_reader, pty_port, outputs):
    serial_reader("?max_length=64")
    pty_port.write(b"5" * 50_000)
    assert outputs.problem().reason is Reason.TOO_LONG
    pty_port.write(b"\r\n9787020002207\r\n")
    assert outputs.scan().text == "9787020002207"


def test_a_port_held_by_another_reader_is_reported_busy(pty_port, outputs, manual_wait):
    with open_reader(f"serial://{pty_port.link}", host=Host(wait=manual_wait)) as first:
        first.start(outputs.put)
        assert isinstance(outputs.next(), ReaderReady)
        second_outputs: list[object] = []
        with open_reader(f"serial://{pty_port.link}", host=Host(wait=manual_wait)) as second:
            second.start(second_outputs.append)
            assert manual_wait.next_request() == 0.5
            (problem,) = second_outputs
            assert isinstance(problem, ReaderProblem) and problem.reason is Reason.BUSY


def test_a_missing_port_is_reported_once_then_found_when_plugged(
    tmp_path, outputs, manual_wait, make_pty_port
):
    link = tmp_path / "ttyACM0"
    with open_reader(f"serial://{link}", host=Host(wait=manual_wait)) as reader:
        reader.start(outputs.put)
        assert outputs.problem().reason is Reason.NOT_FOUND
        assert manual_wait.next_request() == 0.5
        port = make_pty_port(link)
        try:
            manual_wait.release()
            assert isinstance(outputs.next(), ReaderReady)
            port.write(b"LIB-00042\r")
            assert outputs.scan().text == "LIB-00042"
        finally:
            reader.stop()
            port.close()


def test_rdm6300_in_hex_format_on_a_shared_reader_is_still_a_card(
    serial_reader, pty_port, outputs, rdm_frame
):
    serial_reader("?format=hex", scheme="rdm6300")
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
    with open_reader(f"serial://{tmp_path}/usb://scanner", host=Host(wait=manual_wait)) as reader:
        reader.start(outputs.put)
        assert isinstance(outputs.next(), ReaderReady)
        port.write(b"LIB-00042\r")
        assert outputs.scan().text == "LIB-00042"


def test_rdm6300_good_corrupt_and_repeated_frames(serial_reader, pty_port, outputs, rdm_frame):
    reader = serial_reader("?role=card", scheme="rdm6300")
    pty_port.write(rdm_frame("0400BC614E", corrupt=True))
    assert outputs.problem().reason is Reason.BAD_CHECKSUM
    pty_port.write(rdm_frame("0400BC614E") * 5)  # a card lying on the reader
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == (
        "0012345678",
        ScannerRole.CARD,
        "rfid_em4100",
    )
    pty_port.write(rdm_frame("04DEADBEEF"))
    assert outputs.scan().text == "3735928559"
    reader.stop()
    assert reader.join(5)
    assert not [o for o in outputs.drain() if isinstance(o, ScanEvent)]
    assert reader.counts["scan"] == 2 and reader.counts["bad_checksum"] == 1
