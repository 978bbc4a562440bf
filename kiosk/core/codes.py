"""Untrusted scanned text made safe to look up, print and journal.

A scan can be anything a reader or a child can produce: control characters, an emoji, half a
barcode, ten thousand characters. ``clean_code`` turns it into text that is safe to look up,
print and journal, or says why it cannot.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CODE_LENGTH = 64  # longer than any card number, barcode or ISBN a school uses

# What a library's own codes look like: card numbers, accession barcodes (Code 39, Code 128,
# Codabar), ISBNs. A refused scan of such a code is journaled as read, so the librarian can find
# the unlabelled book or the card nobody registered.
_LIBRARY_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,19}")
# What else a scanner reads when a child holds a phone or an ID card under it; not kept.
_RESIDENT_ID = re.compile(r"[1-9]\d{16}[\dXx]")  # 居民身份证号码, 18 characters
_MOBILE = re.compile(r"1[3-9]\d{9}")  # a mainland mobile number
_LONG_NUMBER = re.compile(r"\d{15,}")  # bank cards, other ID numbers: no library code is this long


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


def kept_code(text: str) -> str:
    """What the journal keeps of a refused scan: the code itself if it could be a library's,
    else only how long it was.

    The journal is kept until the server has it and then for the retention period; a QR code
    with a login token, an 18-digit ID number or a phone number read by mistake must not be.
    """
    if (
        _LIBRARY_CODE.fullmatch(text)
        and not _RESIDENT_ID.fullmatch(text)
        and not _MOBILE.fullmatch(text)
        and not _LONG_NUMBER.fullmatch(text)
    ):
        return text
    return _NOT_KEPT.format(n=len(text))


_NOT_KEPT = "[not kept: {n} characters]"


def not_kept_length(kept: str) -> int | None:
    """How long the scan was, if ``kept`` is what ``kept_code`` keeps of one it did not keep
    (the librarian's pages show that in her language)."""
    found = re.fullmatch(r"\[not kept: (\d+) characters\]", kept)
    return int(found.group(1)) if found else None
