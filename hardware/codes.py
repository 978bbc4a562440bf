"""What a scanned string is: cleaning untrusted text; ISBN, EAN-13, Codabar and card numbers."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

# The largest 32-bit EM4100 card id: scanners that type "10 digits" print it in decimal.
_EM4100_MAX = 2**32 - 1
_CODABAR = re.compile(r"[A-Da-d]([0-9$:/.+\-]+)[A-Da-d]")
# What a US-layout decoder makes of the digit row when the scanner is set to AZERTY: every
# digit arrives with Shift held. Library codes have digits, hardly ever three of these symbols.
_SHIFTED_DIGIT_ROW = frozenset("!@#$%^&*()")
_WRONG_LAYOUT_SYMBOLS = 3


class ScannerRole(enum.StrEnum):
    """What a scanner is for: patron cards, book barcodes, or both from one device."""

    CARD = "card"
    BOOK = "book"
    ANY = "any"


class CodeKind(enum.StrEnum):
    """The shape of a code, as far as the text alone can tell."""

    ISBN13 = "isbn13"
    ISBN10 = "isbn10"
    EAN13 = "ean13"
    CODABAR = "codabar"
    RFID_EM4100 = "rfid_em4100"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Classified:
    """A cleaned code, its kind and its role (resolved for scanners of role ``any``)."""

    text: str
    kind: CodeKind
    role: ScannerRole


def clean(raw: str) -> str:
    """Drop control and other unprintable characters and surrounding spaces.

    Scanners add STX/ETX, tabs or NULs depending on their configuration; none of it is ever part
    of a library code, and an unprintable character in a code would show as a box on the screen.
    """
    return "".join(ch for ch in raw if ch.isprintable()).strip()


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit for twelve digits (weights 1, 3, 1, 3, ...)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_ean13(text: str) -> bool:
    return (
        len(text) == 13
        and text.isascii()
        and text.isdigit()
        and (ean13_check_digit(text[:12]) == int(text[12]))
    )


def is_isbn13(text: str) -> bool:
    """An EAN-13 in the Bookland ranges 978 and 979."""
    return is_ean13(text) and text[:3] in ("978", "979")


def is_isbn10(text: str) -> bool:
    """Nine digits and a check character (0-9 or X) with the weighted sum divisible by 11."""
    if len(text) != 10 or not text.isascii() or not text[:9].isdigit():
        return False
    last = text[9].upper()
    if not (last.isdigit() or last == "X"):
        return False
    check = 10 if last == "X" else int(last)
    return (sum((10 - i) * int(d) for i, d in enumerate(text[:9])) + check) % 11 == 0


def is_em4100_decimal(text: str) -> bool:
    """The ten-digit decimal form that USB ID-card scanners type and the RDM6300 source emits."""
    return len(text) == 10 and text.isascii() and text.isdigit() and int(text) <= _EM4100_MAX


def strip_codabar(text: str) -> str | None:
    """The data between Codabar start/stop characters (A-D), or None if there are none."""
    match = _CODABAR.fullmatch(text)
    return match.group(1) if match else None


def looks_like_wrong_layout(text: str) -> bool:
    """True for the ``(&*)`` that a scanner set to a French-style layout types for digits.

    Three such symbols are enough: a copy label ``LIB-00042`` arrives as ``LIB6)))$@``, its
    letters intact and only its digits shifted.
    """
    return sum(ch in _SHIFTED_DIGIT_ROW for ch in text) >= _WRONG_LAYOUT_SYMBOLS


def classify(
    text: str,
    role: ScannerRole = ScannerRole.ANY,
    *,
    card_patterns: Sequence[re.Pattern[str]] = (),
    book_patterns: Sequence[re.Pattern[str]] = (),
    known: CodeKind | None = None,
) -> Classified:
    """Kind and role of a cleaned code.

    Ten digits are ambiguous: a valid ISBN-10 one time in eleven, but also the usual card number.
    Books carry EAN-13 barcodes, so ten digits from a scanner are almost always a card; only a
    scanner configured for books reads them as ISBN-10 first. A scanner of role ``any`` gets the
    role from the patterns first (a school's own card or copy barcodes), then from the kind.
    ``known`` is a kind the source is sure of (every RDM6300 read is an EM4100 card, whatever its
    text). Codabar data is classified again without its start/stop characters: a card number
    printed as Codabar is still a card.
    """
    kind = known if known is not None else _kind(text, role)
    if kind is CodeKind.CODABAR:
        text = strip_codabar(text) or text
        inner = _kind(text, role)
        kind = kind if inner is CodeKind.TEXT else inner
    if role is not ScannerRole.ANY:
        return Classified(text, kind, role)
    if any(p.fullmatch(text) for p in card_patterns):
        return Classified(text, kind, ScannerRole.CARD)
    if any(p.fullmatch(text) for p in book_patterns):
        return Classified(text, kind, ScannerRole.BOOK)
    return Classified(text, kind, _ROLE_OF_KIND.get(kind, ScannerRole.ANY))


def matches_role(text: str, role: ScannerRole, patterns: Sequence[re.Pattern[str]]) -> bool:
    """Whether a code is acceptable for a scanner of ``role``: no patterns means anything goes."""
    return role is ScannerRole.ANY or not patterns or any(p.fullmatch(text) for p in patterns)


_ROLE_OF_KIND = {
    CodeKind.ISBN13: ScannerRole.BOOK,
    CodeKind.ISBN10: ScannerRole.BOOK,
    CodeKind.EAN13: ScannerRole.BOOK,
    CodeKind.RFID_EM4100: ScannerRole.CARD,
}


def _kind(text: str, role: ScannerRole) -> CodeKind:
    if is_isbn13(text):
        return CodeKind.ISBN13
    if is_ean13(text):
        return CodeKind.EAN13
    ten_digit_order = (
        (_isbn10_kind, _em4100_kind) if role is ScannerRole.BOOK else (_em4100_kind, _isbn10_kind)
    )
    for test in ten_digit_order:
        kind = test(text)
        if kind is not None:
            return kind
    if strip_codabar(text) is not None:
        return CodeKind.CODABAR
    return CodeKind.TEXT


def _isbn10_kind(text: str) -> CodeKind | None:
    return CodeKind.ISBN10 if is_isbn10(text) else None


def _em4100_kind(text: str) -> CodeKind | None:
    return CodeKind.RFID_EM4100 if is_em4100_decimal(text) else None
