"""Code classification and the scan pipeline: what a code is, which role it has, debounce."""

from __future__ import annotations

import re

import pytest

from hardware import CodeKind, Debouncer, Reason, ScanEvent, ScannerProblem, ScannerRole, classify
from hardware.codes import clean, ean13_check_digit, is_isbn10, looks_like_wrong_layout
from hardware.pipeline import ScanPipeline
from hardware.spec import parse_scanner_url


@pytest.mark.parametrize(
    ("text", "role", "kind", "resolved_text", "resolved_role"),
    [
        ("9787020002207", ScannerRole.ANY, CodeKind.ISBN13, "9787020002207", ScannerRole.BOOK),
        ("9791032305690", ScannerRole.ANY, CodeKind.ISBN13, "9791032305690", ScannerRole.BOOK),
        ("6901234567892", ScannerRole.ANY, CodeKind.EAN13, "6901234567892", ScannerRole.BOOK),
        (
            "9787020002208",
            ScannerRole.ANY,
            CodeKind.TEXT,
            "9787020002208",
            ScannerRole.ANY,
        ),  # bad check digit
        ("0012345678", ScannerRole.ANY, CodeKind.RFID_EM4100, "0012345678", ScannerRole.CARD),
        ("0012345678", ScannerRole.CARD, CodeKind.RFID_EM4100, "0012345678", ScannerRole.CARD),
        ("0306406152", ScannerRole.BOOK, CodeKind.ISBN10, "0306406152", ScannerRole.BOOK),
        ("0306406152", ScannerRole.ANY, CodeKind.RFID_EM4100, "0306406152", ScannerRole.CARD),
        ("702000220X", ScannerRole.CARD, CodeKind.ISBN10, "702000220X", ScannerRole.CARD),
        ("080442957X", ScannerRole.ANY, CodeKind.ISBN10, "080442957X", ScannerRole.BOOK),
        (
            "9999999998",
            ScannerRole.ANY,
            CodeKind.TEXT,
            "9999999998",
            ScannerRole.ANY,
        ),  # above 2**32 - 1
        ("A31234000012345B", ScannerRole.ANY, CodeKind.CODABAR, "31234000012345", ScannerRole.ANY),
        ("A0012345678B", ScannerRole.ANY, CodeKind.RFID_EM4100, "0012345678", ScannerRole.CARD),
        ("a9787020002207d", ScannerRole.ANY, CodeKind.ISBN13, "9787020002207", ScannerRole.BOOK),
        ("d123-45d", ScannerRole.BOOK, CodeKind.CODABAR, "123-45", ScannerRole.BOOK),
        ("LIB-00042", ScannerRole.ANY, CodeKind.TEXT, "LIB-00042", ScannerRole.ANY),
    ],
)
def test_classify(text, role, kind, resolved_text, resolved_role):
    found = classify(text, role)
    assert (found.kind, found.text, found.role) == (kind, resolved_text, resolved_role)


def test_check_digits():
    assert ean13_check_digit("978702000220") == 7
    assert is_isbn10("702000220X")
    assert is_isbn10("702000220x")
    assert not is_isbn10("7020002202")


def test_patterns_give_a_shared_scanner_the_role_of_a_schools_own_barcodes():
    card = [re.compile(r"S\d{6}")]
    book = [re.compile(r"LIB-\d{5}")]
    assert classify("S123456", card_patterns=card, book_patterns=book).role is ScannerRole.CARD
    assert classify("LIB-00042", card_patterns=card, book_patterns=book).role is ScannerRole.BOOK


def test_clean_strips_control_and_invisible_characters():
    assert clean("\x02 978\u200b7020002207\t\x03\r") == "9787020002207"
    assert clean("\x00\x1b") == ""


def test_wrong_layout_is_recognised_by_shifted_digit_row_symbols():
    assert looks_like_wrong_layout("(&*&)@)))@@)&")
    assert looks_like_wrong_layout("LIB6)))$@")  # LIB-00042 from a scanner set to AZERTY
    assert not looks_like_wrong_layout("!!")
    assert not looks_like_wrong_layout("LIB-(1)")
    assert not looks_like_wrong_layout("LIB-00042")


def test_a_copy_label_typed_in_the_wrong_layout_is_not_accepted():
    pipeline, out = pipeline_for("fake:?role=book")
    pipeline.code("LIB6)))$@", 0.0)
    (problem,) = out
    assert isinstance(problem, ScannerProblem) and problem.reason is Reason.WRONG_LAYOUT


def test_a_schools_own_codes_with_symbols_pass_when_a_pattern_names_them():
    pipeline, out = pipeline_for("fake:?role=book&book=%23%23%23%5Cd%2B")  # ###\d+
    pipeline.code("###42", 0.0)
    (scan,) = out
    assert isinstance(scan, ScanEvent) and scan.text == "###42"


def test_a_kind_the_source_is_sure_of_gives_the_role_on_an_any_scanner():
    # An RDM6300 with format=hex: ten hex digits are no number the text alone would call a card.
    pipeline, out = pipeline_for("fake:")
    pipeline.code("0400BC614E", 0.0, CodeKind.RFID_EM4100)
    (scan,) = out
    assert isinstance(scan, ScanEvent)
    assert (scan.kind, scan.role) == (CodeKind.RFID_EM4100, ScannerRole.CARD)


def pipeline_for(url: str, debouncer: Debouncer | None = None):
    out: list[object] = []
    return ScanPipeline(parse_scanner_url(url), out.append, debouncer), out


def test_the_same_code_within_the_window_is_reported_once():
    pipeline, out = pipeline_for("fake:?role=book&debounce=2")
    for at in (10.0, 10.5, 11.9):
        pipeline.code("9787020002207", at)
    assert [e.time for e in out if isinstance(e, ScanEvent)] == [10.0]
    assert pipeline.counts["duplicate"] == 2


def test_the_window_starts_at_the_reported_scan_and_repeats_do_not_extend_it():
    pipeline, out = pipeline_for("fake:?role=book&debounce=2")
    for at in (0.0, 1.5, 3.0, 4.5, 7.0):
        pipeline.code("9787020002207", at)
    assert [e.time for e in out] == [0.0, 3.0, 7.0]


def test_a_child_re_tapping_a_card_every_1_5_s_gets_a_scan_every_window():
    pipeline, out = pipeline_for("fake:?role=card&debounce=2")
    for tap in range(31):  # 45 seconds
        pipeline.code("0012345678", tap * 1.5)
    assert [e.time for e in out] == [3.0 * n for n in range(16)]


def test_a_scanner_with_a_short_window_cannot_shorten_anothers_in_a_shared_debouncer():
    shared = Debouncer()
    patient, out = pipeline_for("fake:?role=card&debounce=60", shared)
    busy, _ = pipeline_for("fake:?role=book&debounce=0.1", shared)
    patient.code("0012345678", 0.0)
    for n in range(300):  # a busy book scanner: 300 different codes in 30 s
        busy.code(f"LIB-{n:05d}", 1.0 + n / 10)
    patient.code("0012345678", 40.0)  # still inside its own 60 s window
    assert [e.time for e in out] == [0.0]


def test_debounce_zero_reports_every_read():
    pipeline, out = pipeline_for("fake:?debounce=0")
    pipeline.code("A", 0.0)
    pipeline.code("A", 0.0)
    assert len(out) == 2


def test_two_scanners_sharing_a_debouncer_cannot_double_a_scan():
    shared = Debouncer()
    first, out1 = pipeline_for("fake:?role=card", shared)
    second, out2 = pipeline_for("serial:///dev/x?role=card", shared)
    first.code("0012345678", 1.0)
    second.code("0012345678", 1.2)
    assert len(out1) + len(out2) == 1


def test_different_roles_are_debounced_separately():
    shared = Debouncer()
    card, out1 = pipeline_for("fake:?role=card", shared)
    book, out2 = pipeline_for("fake:?role=book", shared)
    card.code("12345", 1.0)
    book.code("12345", 1.1)
    assert len(out1) == len(out2) == 1


def test_a_code_outside_the_scanners_patterns_is_a_problem():
    pipeline, out = pipeline_for(r"fake:?role=card&card=S\d{6}")
    pipeline.code("9787020002207", 0.0)
    pipeline.code("S123456", 0.0)
    problem, scan = out
    assert isinstance(problem, ScannerProblem) and problem.reason is Reason.UNEXPECTED_CODE
    assert isinstance(scan, ScanEvent) and scan.text == "S123456"


def test_too_long_and_wrong_layout_are_problems_with_reasons():
    pipeline, out = pipeline_for("fake:?max_length=20")
    pipeline.code("1" * 21, 0.0)
    pipeline.code("(&*&)@)))@@)&", 0.0)
    assert [p.reason for p in out if isinstance(p, ScannerProblem)] == [
        Reason.TOO_LONG,
        Reason.WRONG_LAYOUT,
    ]
