"""Property tests: no event or byte stream makes a decoder raise or emit an unprintable code."""

from __future__ import annotations

from evdev import InputEvent
from hypothesis import given
from hypothesis import strategies as st

from hardware import ScanEvent, ScannerProblem
from hardware.events import Rejection
from hardware.framing import LineFramer
from hardware.pipeline import ScanPipeline
from hardware.rdm6300 import Rdm6300Framer
from hardware.recording import parse_recording
from hardware.spec import parse_scanner_url
from hardware.wedge import WedgeDecoder

MAX = 24

# Mostly key events on the codes a keyboard has, some SYN/MSC/LED noise, values incl. repeats;
# the gap between events as the device stamped them, and how late the scanner read each one.
key_codes = st.one_of(st.integers(0, 130), st.integers(0, 0x2FF))
events = st.tuples(
    st.sampled_from([0, 1, 1, 1, 1, 4, 17, 20]),
    key_codes,
    st.integers(-1, 3),
    st.sampled_from([0.0, 0.001, 0.004, 0.3, 0.6, 5.0]),
    st.sampled_from([0.0, 0.0, 0.002, 0.7, 3.0]),
)


def check_code(item: object, limit: int) -> None:
    if isinstance(item, str):
        assert item and item.isprintable() and len(item) <= limit
    else:
        assert isinstance(item, Rejection) and item.message


@given(st.lists(events, max_size=300), st.booleans())
def test_wedge_decoder_never_raises_and_codes_are_printable(stream, tab):
    decoder = WedgeDecoder(max_length=MAX, timeout=0.5, tab_ends_code=tab)
    sent = now = 0.0
    for etype, code, value, gap, lag in stream:
        sent += gap
        now = max(now, sent + lag)  # read no earlier than sent, in order
        event = InputEvent(int(sent), round(sent % 1 * 1e6) % 1_000_000, etype, code, value)
        for item in decoder.feed(event, now):
            check_code(item, MAX)
    for item in decoder.expire(now + 1) + decoder.reset():
        check_code(item, MAX)


@given(st.lists(st.binary(max_size=200), max_size=30), st.sampled_from(["any", "cr", "lf", "crlf"]))
def test_line_framer_never_raises_and_lines_are_printable(chunks, terminator):
    framer = LineFramer(max_length=MAX, terminator=terminator, final_line_at_end=True)
    for index, chunk in enumerate(chunks):
        for item in framer.feed(chunk, index * 0.2):
            check_code(item, MAX)
    for item in framer.finish():
        check_code(item, MAX)


frame_like = st.lists(
    st.one_of(st.binary(max_size=20), st.sampled_from([b"\x02", b"\x03", b"0400BC614E3E"])),
    max_size=60,
)


@given(frame_like)
def test_rdm6300_framer_never_raises_and_cards_are_ten_digits(pieces):
    framer = Rdm6300Framer()
    for index, piece in enumerate(pieces):
        for item in framer.feed(piece, index * 0.05):
            if isinstance(item, str):
                assert len(item) == 10 and item.isdigit()
            else:
                assert isinstance(item, Rejection)


@given(st.text(max_size=200))
def test_pipeline_emits_only_clean_codes_within_the_limit(raw):
    out: list[object] = []
    pipeline = ScanPipeline(parse_scanner_url(f"fake:?max_length={MAX}"), out.append)
    pipeline.code(raw, 0.0)
    for item in out:
        if isinstance(item, ScanEvent):
            assert item.text and item.text.isprintable() and len(item.text) <= MAX
            assert item.text == item.text.strip()
        else:
            assert isinstance(item, ScannerProblem) and item.reason.value


# Numbers of any length, the long ones well past int()'s 4300-digit limit for decimal strings.
digits = st.one_of(
    st.text("0123456789", min_size=1, max_size=8),
    st.integers(4000, 6000).map(lambda n: "9" * n),
)
hex_digits = st.one_of(
    st.text("0123456789abcdef", min_size=1, max_size=6),
    st.integers(4000, 6000).map(lambda n: "f" * n),
)
event_lines = st.builds(
    lambda sec, usec, etype, code, value, minus: (
        f"E: {sec}.{usec} {etype} {code} {'-' if minus else ''}{value}"
    ),
    digits,
    digits,
    hex_digits,
    hex_digits,
    digits,
    st.booleans(),
)
id_lines = st.builds(lambda a, b, c: f"I: 0003 {a} {b} {c}", hex_digits, hex_digits, hex_digits)
recording_lines = st.lists(st.one_of(event_lines, id_lines, st.text(max_size=80)), max_size=20)


@given(recording_lines)
def test_recording_parser_never_raises(lines):
    recording = parse_recording("\n".join(lines))
    assert all(isinstance(line, int) for line, _ in recording.bad_lines)
    for event in recording.events:
        assert 0 <= event.type <= 0xFFFF and 0 <= event.code <= 0xFFFF
