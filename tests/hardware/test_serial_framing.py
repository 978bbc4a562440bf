"""Serial line framing and RDM6300 frames, fed bytes directly."""

from __future__ import annotations

import pytest

from hardware.events import Reason, Rejection
from hardware.framing import LineFramer
from hardware.rdm6300 import Rdm6300Framer, card_number


def reasons(items: list[object]) -> list[Reason]:
    return [item.reason for item in items if isinstance(item, Rejection)]


@pytest.mark.parametrize("ending", [b"\r", b"\n", b"\r\n"])
def test_cr_lf_and_crlf_each_end_one_code(ending):
    framer = LineFramer()
    assert framer.feed(b"9787020002207" + ending + b"0012345678" + ending, 0.0) == [
        "9787020002207",
        "0012345678",
    ]


def test_a_code_split_across_reads_is_joined():
    framer = LineFramer()
    assert framer.feed(b"97870", 0.0) == []
    assert framer.feed(b"20002207\r", 0.01) == ["9787020002207"]


@pytest.mark.parametrize(
    ("terminator", "data", "codes"),
    [
        ("cr", b"A1\rB2\n", ["A1"]),
        ("lf", b"A1\rB2\n", ["A1B2"]),
        ("crlf", b"A1\r\nB2\r\n", ["A1", "B2"]),
        ("any", b"A1\rB2\n", ["A1", "B2"]),
    ],
)
def test_the_terminator_option_chooses_what_ends_a_line(terminator, data, codes):
    assert LineFramer(terminator=terminator).feed(data, 0.0) == codes


def test_control_characters_around_a_code_are_stripped():
    assert LineFramer().feed(b"\x02\x1b9787020002207\x03\r\n", 0.0) == ["9787020002207"]


@pytest.mark.parametrize(
    ("terminator", "framed"),
    [
        ("crlf", b"%s\r\n"),
        ("any", b"\x02%s\x03\r\n"),
        ("lf", b"\t%s\t\n"),
        ("cr", b"  %s  \r"),
    ],
)
def test_the_length_limit_counts_the_code_not_its_framing(terminator, framed):
    code = b"A" * 64
    framer = LineFramer(max_length=64, terminator=terminator)
    assert framer.feed(framed % code, 0.0) == [code.decode()]
    out = LineFramer(max_length=64, terminator=terminator).feed(framed % (code + b"B"), 0.0)
    assert reasons(out) == [Reason.TOO_LONG]


def test_a_line_of_spaces_or_control_bytes_is_no_code_and_cannot_grow_for_ever():
    framer = LineFramer(max_length=64)
    assert framer.feed(b"\x00" * 50_000 + b"\r", 0.0) == []
    assert reasons(framer.feed(b"1" * 64 + b" " * 50_000, 0.0)) == [Reason.TOO_LONG]


def test_bytes_at_the_wrong_baud_rate_are_rejected_not_guessed():
    (rejection,) = LineFramer().feed(bytes([0xF0, 0x9E, 0x80, 0x66, 0xE6]) + b"\r", 0.0)
    assert isinstance(rejection, Rejection) and rejection.reason is Reason.GARBLED
    assert "baud" in rejection.message


def test_a_50_kb_line_without_terminator_is_one_problem_and_the_next_code_reads():
    framer = LineFramer(max_length=64)
    out = framer.feed(b"8" * 50_000, 0.0)
    assert reasons(out) == [Reason.TOO_LONG]
    assert framer.feed(b"\r\n9787020002207\r\n", 0.01) == ["9787020002207"]


def test_a_half_line_expires_after_the_timeout():
    framer = LineFramer(timeout=0.5)
    framer.feed(b"978", 3.0)
    assert framer.deadline() == 3.5
    assert reasons(framer.expire(3.5)) == [Reason.INCOMPLETE]
    assert framer.feed(b"0012345678\n", 4.0) == ["0012345678"]


def test_stdin_style_final_line_without_newline_counts():
    framer = LineFramer(final_line_at_end=True)
    framer.feed(b"one\ntwo", 0.0)
    assert framer.finish() == ["two"]
    assert reasons(LineFramer().feed(b"x", 0.0) + LineFramer().finish()) == []


def test_rdm6300_good_frame_reads_as_the_ten_digit_card_number(rdm_frame):
    framer = Rdm6300Framer()
    assert framer.feed(rdm_frame("0400BC614E"), 0.0) == ["0012345678"]


def test_rdm6300_hex_format_keeps_the_module_digits(rdm_frame):
    assert Rdm6300Framer(card_format="hex").feed(rdm_frame("0400bc614e"), 0.0) == ["0400BC614E"]
    assert card_number("04DEADBEEF", "decimal") == "3735928559"


def test_rdm6300_corrupt_frame_is_dropped_and_counted(rdm_frame):
    framer = Rdm6300Framer()
    out = framer.feed(rdm_frame("0400BC614E", corrupt=True) * 2, 0.0)
    assert reasons(out) == [Reason.BAD_CHECKSUM]
    assert framer.bad_checksums == 2
    assert framer.feed(rdm_frame("0400BC614E"), 0.1) == ["0012345678"]


def test_rdm6300_card_at_the_edge_of_the_field_is_one_problem_not_a_flood(rdm_frame):
    framer = Rdm6300Framer(lifted_after=0.5)
    out = []
    for tick in range(25):  # five seconds of bad frames, five a second
        out += framer.feed(rdm_frame("0400BC614E", corrupt=True), tick * 0.2)
    assert reasons(out) == [Reason.BAD_CHECKSUM]
    assert framer.bad_checksums == 25
    # Moved into the field: it reads. Then a new run of bad frames is news again.
    assert framer.feed(rdm_frame("0400BC614E"), 5.0) == ["0012345678"]
    assert reasons(framer.feed(rdm_frame("04DEADBEEF", corrupt=True), 5.1)) == [Reason.BAD_CHECKSUM]
    # Lifted, and tried again a while later: reported again.
    assert reasons(framer.feed(rdm_frame("04DEADBEEF", corrupt=True), 8.0)) == [Reason.BAD_CHECKSUM]


def test_rdm6300_card_left_on_the_scanner_is_reported_once(rdm_frame):
    framer = Rdm6300Framer(lifted_after=0.5)
    out = []
    for tick in range(30):  # three seconds of frames every 100 ms
        out += framer.feed(rdm_frame("0400BC614E"), tick * 0.1)
    assert out == ["0012345678"]
    # Lifted (no frame for a second), then placed again: a new read.
    assert framer.feed(rdm_frame("0400BC614E"), 4.0) == ["0012345678"]


def test_rdm6300_another_card_is_reported_at_once(rdm_frame):
    framer = Rdm6300Framer()
    out = framer.feed(rdm_frame("0400BC614E"), 0.0) + framer.feed(rdm_frame("04DEADBEEF"), 0.1)
    assert out == ["0012345678", "3735928559"]


def test_rdm6300_frame_split_across_reads(rdm_frame):
    framer = Rdm6300Framer()
    frame = rdm_frame("0400BC614E")
    assert framer.feed(frame[:5], 0.0) == []
    assert framer.feed(frame[5:], 0.01) == ["0012345678"]


def test_rdm6300_noise_is_reported_once_per_run_and_clone_line_ends_are_not_noise(rdm_frame):
    framer = Rdm6300Framer()
    assert framer.feed(rdm_frame("0400BC614E") + b"\r\n", 0.0) == ["0012345678"]
    out = framer.feed(bytes(range(0x20, 0x80)) * 10, 1.0)
    assert reasons(out) == [Reason.NOISE]


@pytest.mark.parametrize(
    "data",
    [b"\x020400BC614E\x02", b"\x02ZZZZZZZZZZZZ\x03", b"\x0212345\x03", b"\x02" + b"1" * 20],
)
def test_rdm6300_malformed_frames_are_bad_frames(data):
    out = Rdm6300Framer().feed(data, 0.0)
    assert reasons(out) == [Reason.BAD_FRAME]
