"""Untrusted scanned text made safe, and ISBN recognition.

A scan can be anything a reader or a child can produce: control characters, an emoji, half a
barcode, ten thousand characters. ``clean_code`` turns it into text that is safe to look up,
print and journal, or says why it cannot.
"""

from __future__ import annotations

import unicodedata

MAX_CODE_LENGTH = 64  # longer than any card number, barcode or ISBN a school uses


def clean_code(raw: str) -> str | None:
    """The code as it should be looked up, or None if nothing usable is left.

    NFKC folds full-width digits and letters (a scanner behind a Chinese input method types
    ``２０２６``) into ASCII; control and format characters (CR/LF/TAB from wedge scanners,
    zero-width spaces) are dropped; surrounding whitespace goes.
    """
    text = unicodedata.normalize("NFKC", raw[: MAX_CODE_LENGTH * 4])
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if not text or len(raw) > MAX_CODE_LENGTH * 4 or len(text) > MAX_CODE_LENGTH:
        return None
    return text


def printable(raw: str, limit: int = 40) -> str:
    """A short, safe rendering of any text for messages and the journal."""
    shown = "".join(
        ch if unicodedata.category(ch)[0] != "C" else f"\\x{ord(ch):02x}" for ch in raw[:limit]
    )
    return shown + ("…" if len(raw) > limit else "")


def _isbn13_check(digits12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def _isbn10_check(digits9: str) -> str:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13(text: str) -> str | None:
    """The ISBN-13 for an ISBN-13 or ISBN-10 (hyphens and spaces allowed), if its check digit holds.

    Only 978/979 EAN-13 codes are books; other EAN-13s (a pencil case) are not ISBNs.
    """
    s = text.replace("-", "").replace(" ", "").upper()
    if len(s) == 13 and s.isdigit() and s[:3] in ("978", "979"):
        return s if _isbn13_check(s[:12]) == s[12] else None
    if len(s) == 10 and s[:9].isdigit() and (s[9].isdigit() or s[9] == "X"):
        if _isbn10_check(s[:9]) != s[9]:
            return None
        body = "978" + s[:9]
        return body + _isbn13_check(body)
    return None
