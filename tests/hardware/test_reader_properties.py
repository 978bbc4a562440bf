"""Property tests: no event or byte stream makes a decoder raise or emit an unprintable code."""

from __future__ import annotations

from evdev import InputEvent
from hypothesis import given
from hypothesis import strategies as st

from hardware import ReaderProblem, ScanEvent
from hardware.events import Rejection
from hardware.framing import LineFramer
from hardware.pipeline import ScanPipeline
from hardware.rdm6300 import Rdm6300Framer
from hardware.recording import parse_recording
from hardware.spec import parse_reader_url
from hardware.wedge import WedgeDecoder

MAX = 24

# Mostly key events on the codes a keyboard has, some SYN/MSC/LED noise, values incl. repeats.
key_codes = st.one_of(st.integers(0, 130), st.integers(0, 0x2FF))
events = st.builds(
    lambda etype, code, value, gap: (InputEvent(0, 0, etype, code, value), gap),
    etype=st.sampled_from([0, 1, 1, 1, 1, 4, 17, 20]),
    code=key_codes,
    value=st.integers(-1, 3),
    gap=st.sampled_from([0.0, 0.001, 0.004, 0.3, 0.6, 5.0]),
)


def check_code(item: object, limit: int) -> None:
    if isinstance(item, str):
        assert item and item.isprintable() and len(item) <= limit
    else:
        assert isinstance(item, Rejection) and item.message


@given(st.lists(events, max_size=300), st.booleans())
def test_wedge_decoder_never_raises_and_codes_are_printable(stream, tab):
    decoder = WedgeDecoder(max_length=MAX, timeout=0.5, tab_ends_code=tab)
    now = 0.0
    for event, gap in stream:
        now += gap
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
    pipeline = ScanPipeline(parse_reader_url(f"fake:?max_length={MAX}"), out.append)
    pipeline.code(raw, 0.0)
    for item in out:
        if isinstance(item, ScanEvent):
            assert item.text and item.text.isprintable() and len(item.text) <= MAX
            assert item.text == item.text.strip()
        else:
            assert isinstance(item, ReaderProblem) and item.reason.value


@given(st.text(max_size=2000))
def test_recording_parser_never_raises(text):
    recording = parse_recording(text)
    assert all(isinstance(line, int) for line, _ in recording.bad_lines)
