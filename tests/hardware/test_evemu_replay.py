"""Replaying the evemu recordings kept in tests/hardware/recordings: scanners, reproduced."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from hardware import (
    Host,
    Reason,
    ScanEvent,
    ScannerProblem,
    ScannerReady,
    ScannerRole,
    open_scanner,
)
from hardware.recording import parse_recording

RECORDINGS = Path(__file__).parent / "recordings"


def replay(url: str, clock) -> list[object]:
    out: list[object] = []
    with open_scanner(url, host=Host(clock=clock)) as scanner:
        scanner.run(out.append)
    return out


def scans(out: list[object]) -> list[tuple[str, str, str]]:
    return [(e.text, e.role.value, e.kind.value) for e in out if isinstance(e, ScanEvent)]


def problems(out: list[object]) -> list[Reason]:
    return [e.reason for e in out if isinstance(e, ScannerProblem)]


def test_scanner_recording_with_syn_reports_and_key_repeats(clock):
    out = replay(f"evemu:{RECORDINGS / 'isbn-scanner.evemu'}?role=book", clock)
    assert isinstance(out[0], ScannerReady) and "Barcode Scanner HID KBW" in out[0].device
    assert scans(out) == [
        ("9787020002207", "book", "isbn13"),  # the repeated 0 typed once
        ("9787536692930", "book", "isbn13"),
        ("LIB-00042", "book", "text"),
    ]
    assert problems(out) == []


def test_scan_times_follow_the_recording_from_the_clock_at_start(clock):
    out = replay(f"evemu:{RECORDINGS / 'isbn-scanner.evemu'}", clock)
    times = [e.time - clock.now for e in out if isinstance(e, ScanEvent)]
    assert [round(t, 6) for t in times] == [0.366, 2.184, 4.662]  # the Enter key-down lines


def test_card_scanner_recording_with_keypad_digits_and_a_double_tap(clock):
    out = replay(f"evemu:{RECORDINGS / 'card-scanner.evemu'}?role=card", clock)
    assert scans(out) == [
        ("0012345678", "card", "rfid_em4100"),  # tapped twice within 2 s: one scan
        ("3735928559", "card", "rfid_em4100"),
    ]


def test_card_scanner_recording_without_debounce_shows_both_taps(clock):
    out = replay(f"evemu:{RECORDINGS / 'card-scanner.evemu'}?role=card&debounce=0", clock)
    assert [s[0] for s in scans(out)] == ["0012345678", "0012345678", "3735928559"]


def test_scanner_set_to_azerty_is_a_wrong_layout_problem(clock):
    out = replay(f"evemu:{RECORDINGS / 'azerty-scanner.evemu'}", clock)
    assert scans(out) == []
    assert problems(out) == [Reason.WRONG_LAYOUT]


def test_interrupted_scan_drops_the_half_code_and_reads_the_next(clock):
    out = replay(f"evemu:{RECORDINGS / 'interrupted-scan.evemu'}", clock)
    assert problems(out) == [Reason.INCOMPLETE]
    assert scans(out) == [("9787020002207", "book", "isbn13")]


def test_a_longer_time_out_reproduces_the_glued_code_a_slow_setting_would_make(clock):
    out = replay(f"evemu:{RECORDINGS / 'interrupted-scan.evemu'}?timeout=2", clock)
    assert scans(out) == [("978709787020002207", "any", "text")]


def test_a_recording_ending_mid_code_reports_it(tmp_path: Path, clock):
    text = (RECORDINGS / "isbn-scanner.evemu").read_text()
    cut = tmp_path / "cut.evemu"
    cut.write_text("\n".join(text.splitlines()[:90]) + "\n")
    out = replay(f"evemu:{cut}", clock)
    assert problems(out) == [Reason.INCOMPLETE]


def test_a_missing_recording_is_a_problem_not_an_exception(tmp_path: Path, clock):
    out = replay(f"evemu:{tmp_path / 'nope.evemu'}", clock)
    assert problems(out) == [Reason.NOT_FOUND]


def test_unreadable_lines_are_reported_and_the_rest_replays(tmp_path: Path, clock):
    text = (RECORDINGS / "card-scanner.evemu").read_text()
    damaged = tmp_path / "damaged.evemu"
    damaged.write_text(text.replace("N: Sycreader", "X: junk line\nN: Sycreader", 1))
    out = replay(f"evemu:{damaged}?role=card", clock)
    assert problems(out) == [Reason.BAD_RECORDING]
    assert len(scans(out)) == 2


def test_a_file_of_bad_lines_reports_the_first_few_and_how_many_more(tmp_path: Path, clock):
    text = (RECORDINGS / "card-scanner.evemu").read_text()
    damaged = tmp_path / "damaged.evemu"
    damaged.write_text("X: junk\n" * 12 + text)
    out = replay(f"evemu:{damaged}?role=card", clock)
    bad = [e for e in out if isinstance(e, ScannerProblem)]
    assert [p.reason for p in bad] == [Reason.BAD_RECORDING] * 6
    assert "7 more lines" in bad[-1].message
    assert len(scans(out)) == 2


def test_an_event_line_with_thousands_of_digits_is_a_bad_line(tmp_path: Path, clock):
    text = (RECORDINGS / "card-scanner.evemu").read_text()
    damaged = tmp_path / "damaged.evemu"
    damaged.write_text(text + "E: 0.000001 0001 001c " + "1" * 5000 + "\n")
    out = replay(f"evemu:{damaged}?role=card", clock)
    assert problems(out) == [Reason.BAD_RECORDING]
    assert len(scans(out)) == 2


def test_a_fifo_is_refused_instead_of_blocking_where_stop_cannot_reach(tmp_path: Path, clock):
    fifo = tmp_path / "scanner.evemu"
    os.mkfifo(fifo)
    out: list[object] = []
    scanner = open_scanner(f"evemu:{fifo}", host=Host(clock=clock))
    thread = threading.Thread(target=scanner.run, args=(out.append,), daemon=True)
    thread.start()
    thread.join(5)
    alive = thread.is_alive()
    if alive:  # the old behaviour: blocked opening the FIFO; a writer lets it go
        with fifo.open("w"):
            pass
        thread.join(5)
    assert not alive, "the scanner blocked on a FIFO"
    assert problems(out) == [Reason.OPEN_FAILED]
    assert "not a regular file" in out[0].message  # type: ignore[attr-defined]


def test_paced_replay_waits_the_recorded_gaps_through_the_injected_wait(clock):
    waits: list[float] = []

    def wait(stop, delay):
        waits.append(delay)
        clock.advance(delay)
        return False

    out: list[object] = []
    url = f"evemu:{RECORDINGS / 'interrupted-scan.evemu'}?pace=1"
    with open_scanner(url, host=Host(clock=clock, wait=wait)) as scanner:
        scanner.run(out.append)
    assert round(max(waits), 6) == 1.504  # the pause between the cut read and the full one
    assert scans(out) == [("9787020002207", "book", "isbn13")]


def test_parse_recording_reads_device_ids_and_events():
    recording = parse_recording((RECORDINGS / "card-scanner.evemu").read_text())
    assert recording.name == "Sycreader RFID Technology Co., Ltd SYC ID&IC USB Reader"
    assert (recording.vendor, recording.product) == (0xFFFF, 0x0035)
    assert recording.bad_lines == []
    first = recording.events[0]
    assert (first.time, first.type, first.code) == (0.0, 4, 4)  # EV_MSC / MSC_SCAN


def test_role_of_a_shared_scanner_comes_from_the_code(clock):
    out = replay(f"evemu:{RECORDINGS / 'isbn-scanner.evemu'}?book=LIB-%5Cd%7B5%7D", clock)
    assert [s[1] for s in scans(out)] == [ScannerRole.BOOK.value] * 3
