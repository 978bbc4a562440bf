"""Untrusted scanned text made safe to look up, print and journal.

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
        ch if unicodedata.category(ch)[0] != "C" else ascii(ch)[1:-1] for ch in raw[:limit]
    )
    return shown + ("…" if len(raw) > limit else "")
