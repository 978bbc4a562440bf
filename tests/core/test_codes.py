"""Scanned text is untrusted: every kind of junk gets a decision with a reason, never a loan."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.codes import MAX_CODE_LENGTH, clean_code, kept_code, not_kept_length, printable
from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.isbn import isbn13
from tests.conftest import School, example_policy, make_school


@given(st.text())
def test_clean_code_is_printable_and_short_or_nothing(raw: str) -> None:
    code = clean_code(raw)
    if code is not None:
        assert 0 < len(code) <= MAX_CODE_LENGTH
        assert all(unicodedata.category(ch)[0] != "C" for ch in code)
        assert code == code.strip()


@given(st.text(max_size=200))
def test_printable_never_shows_control_characters(raw: str) -> None:
    shown = printable(raw)
    assert all(unicodedata.category(ch)[0] != "C" for ch in shown)
    assert len(shown) <= 40 * 10 + 1  # at worst each one is written \U0001xxxx


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0001001\r\n", "0001001"),  # a wedge scanner's Enter
        ("\x020001001\x03", "0001001"),  # STX/ETX framing left in
        ("２０２４３０１０１", "202430101"),  # full-width digits from a Chinese input method
        ("  B2 ", "B2"),
        ("00\u200b01001", "0001001"),  # a zero-width space
        ("", None),
        ("\r\n\t", None),
        ("x" * 65, None),
        ("x" * 10_000, None),
    ],
)
def test_clean_code(raw: str, expected: str | None) -> None:
    assert clean_code(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9787419254125", "9787419254125"),
        ("978-7-4192-5412-5", "9787419254125"),
        ("0306406152", "9780306406157"),  # ISBN-10 -> ISBN-13
        ("080442957X", "9780804429573"),  # ISBN-10 with an X check digit
        ("9787419254126", None),  # wrong check digit
        ("6901234567892", None),  # an EAN-13 that is not a book
        ("978741925412", None),  # half a barcode
        ("abc", None),
    ],
)
def test_isbn13(text: str, expected: str | None) -> None:
    assert isbn13(text) == expected


JUNK = [
    ("control characters", "\x00\x01\x7f\x9b", Reason.UNREADABLE_CODE),
    ("a terminal escape sequence", "\x1b[2J", Reason.UNKNOWN_COPY),
    ("ten thousand characters", "9" * 10_000, Reason.UNREADABLE_CODE),
    ("SQL", "B2'; DELETE FROM loans; --", Reason.UNKNOWN_COPY),
    ("half a barcode", "B", Reason.UNKNOWN_COPY),
    ("an emoji", "📚", Reason.UNKNOWN_COPY),
    ("nothing at all", "", Reason.UNREADABLE_CODE),
    ("a lone surrogate", "\ud800", Reason.UNREADABLE_CODE),
]


@pytest.mark.parametrize(("raw", "reason"), [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_junk_in_a_session_is_refused_with_a_reason_and_changes_no_loan(
    school: School, raw: str, reason: Reason
) -> None:
    school.scan("S31")
    school.scan("B2")
    before = school.store.loans()
    decision = school.scan(raw)
    assert (decision.outcome, decision.reason) == (Outcome.REFUSED, reason)
    assert school.store.loans() == before
    last = list(school.store.events())[-1].event
    assert last.type is EventType.REFUSAL and last.reason is reason
    assert last.code is not None and len(last.code) <= 40 * 10 + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=80), min_size=1, max_size=8))
def test_any_text_gets_a_decision_and_never_lends_a_book(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        school = make_school(Path(folder) / "kiosk.db", example_policy())
        try:
            school.scan("S31")
            for text in texts:
                decision = school.scan(text)
                assert decision.reason in set(Reason)
                assert decision.message_key
            # Only a code that is really a copy's barcode can ever lend a book.
            cleaned = {clean_code(t) for t in texts}
            assert all(loan.barcode in cleaned for loan in school.store.loans())
        finally:
            school.store.close()


@pytest.mark.parametrize(
    ("scanned", "kept"),
    [
        ("0001099", "0001099"),  # an unlabelled or unknown book: the librarian needs the code
        ("9787020002207", "9787020002207"),
        ("31234000012345", "31234000012345"),  # a 14-digit Codabar library barcode
        ("LIB-2024.0042", "LIB-2024.0042"),
        ("110101201503071234", "[not kept: 18 characters]"),  # a resident ID number
        ("11010120150307123X", "[not kept: 18 characters]"),
        ("13812345678", "[not kept: 11 characters]"),  # a mobile number
        ("6222021234567890123", "[not kept: 19 characters]"),  # a bank card
        ("https://login.example.cn/qr?token=abc123", "[not kept: 40 characters]"),
        ("WIFI:S:school;T:WPA;P:secret;;", "[not kept: 30 characters]"),
    ],
)
def test_a_refused_scan_keeps_only_what_could_be_a_library_code(scanned: str, kept: str) -> None:
    assert kept_code(scanned) == kept
    # The pages show the length of what was not kept in the librarian's language.
    assert not_kept_length(kept) == (None if kept == scanned else len(scanned))


def test_what_a_phone_shows_the_scanner_is_not_journaled(school: School) -> None:
    qr_login = "https://login.example.cn/qr?token=5f2a9c"
    assert school.scan(qr_login).reason is Reason.UNKNOWN_CODE
    school.scan("S31")
    assert school.scan("110101201503071234").reason is Reason.UNKNOWN_COPY
    assert school.scan("0001099").reason is Reason.UNKNOWN_COPY
    codes = [e.event.code for e in school.store.events() if e.event.type is EventType.REFUSAL]
    assert codes == [
        f"[not kept: {len(qr_login)} characters]",
        "[not kept: 18 characters]",
        "0001099",
    ]
    journal = "".join(str(e) for e in school.store.events())
    assert "token" not in journal and "110101" not in journal
