"""Hostile text: what a confused scanner, a phone held under one or a child with a keyboard can
produce, drawn from a seeded ``random.Random`` so a run can be replayed.

Each category is one way a code can be wrong; ``hostile`` picks one and says which. Codes of
the sample school (cards, barcodes, ISBNs) are mixed in, because the dangerous junk is the junk
that nearly is a code.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.core.models import Copy, Reader, ReaderRole
from kiosk.imports import read_catalog, read_roster

SAMPLE = Path(__file__).resolve().parents[2] / "kiosk" / "sample"


@dataclass(frozen=True)
class SchoolCodes:
    """The sample school's codes, for lookalikes and for the legitimate visits between junk."""

    readers: tuple[Reader, ...]
    copies: tuple[Copy, ...]

    @classmethod
    def sample(cls) -> SchoolCodes:
        return cls(
            read_roster(SAMPLE / "roster.csv").items, read_catalog(SAMPLE / "catalog.csv").items
        )

    @property
    def cards(self) -> list[str]:
        return [r.card for r in self.readers]

    @property
    def pupils(self) -> list[str]:
        return [r.card for r in self.readers if r.role is ReaderRole.STUDENT and r.active]

    @property
    def teachers(self) -> list[str]:
        return [r.card for r in self.readers if r.role is ReaderRole.TEACHER and r.active]

    @property
    def barcodes(self) -> list[str]:
        return [c.barcode for c in self.copies]

    @property
    def labels(self) -> list[str]:
        """What is printed on the books: barcodes, and the ISBN of copies that carry only it
        (their catalogue barcode, ``ISBN#n``, is on no label)."""
        return sorted({c.isbn if c.isbn_only and c.isbn else c.barcode for c in self.copies})

    @property
    def isbns(self) -> list[str]:
        return sorted({c.isbn for c in self.copies if c.isbn})

    def any_code(self, rng: random.Random) -> str:
        return rng.choice([*self.cards, *self.barcodes, *self.isbns])


CONTROL = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]
ESCAPES = ["\x1b[2J", "\x1b[31m", "\x1b]0;title\x07", "\x9b6n", "\r\n", "\x08\x08\x08", "\x00"]
SQL = [
    "'; DROP TABLE loans;--",
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DELETE FROM events; --',
    "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "%' --",
    "') UNION SELECT card, given_name FROM readers --",
    "0001002' --",
    "\\'; --",
    "1/*",
]
FORMATS = [
    "%s%s%s%s",
    "%n%n%n",
    "%x%x%x",
    "%(reason)s",
    "{0}",
    "{}",
    "{code}",
    "{0.__class__.__mro__}",
    "{n}",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
    "[not kept: 5 characters]",
]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f"]
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]
SPACES = ["\u3000", "\u00a0", "\u2003", "\u2028", "\u2029", "\u0085", "\t", "\v", "\f"]
ODD = [
    "\ud800",  # lone surrogates: a Python str may hold them, UTF-8 may not
    "\udfff",
    "\ud83d",
    "\ufffd",
    "\uffff",
    "\ue000",  # private use
    "\U0010ffff",
    "\U0001f4da",  # an emoji
    "\u0301",  # a combining mark on its own
    "Ⅻ",  # NFKC: XII
    "ﬁ",  # NFKC: fi
    "ſ",  # NFKC: s
    "K",  # Kelvin sign, NFKC: K
    "①",  # NFKC: 1
    "²",  # NFKC: 2
    "٣",  # Arabic-Indic three: a digit, but not ASCII
    "〇",
    "图书",
]


def full_width(text: str) -> str:
    """What a scanner behind a Chinese input method types: ２０２６ for 2026."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _control(rng: random.Random, codes: SchoolCodes) -> str:
    code = codes.any_code(rng)
    pieces = [rng.choice(CONTROL) for _ in range(rng.randint(1, 6))]
    shape = rng.randrange(5)
    if shape == 0:
        return "".join(pieces)
    if shape == 1:
        return rng.choice(ESCAPES) + code
    if shape == 2:
        at = rng.randint(0, len(code))
        return code[:at] + "".join(pieces) + code[at:]
    if shape == 3:
        return code + rng.choice(["\r", "\n", "\r\n", "\t", "\x03", "\x04"])
    return "\x02" + code + "\x03"


def _long(rng: random.Random, codes: SchoolCodes) -> str:
    code = codes.any_code(rng)
    n = rng.choice([63, 64, 65, 80, 81, 255, 256, 257, 1000, 4096, 10_000, 100_000])
    shape = rng.randrange(5)
    if shape == 0:
        return (code * (n // len(code) + 1))[:n]
    if shape == 1:
        return rng.choice("9Xa中") * n
    if shape == 2:
        return " " * n + code  # cleaned it would be the code; raw it is far too long
    if shape == 3:
        return code + "\u200b" * n  # only invisible characters past the code
    return "".join(rng.choice(CONTROL + INVISIBLE) for _ in range(min(n, 2000)))


def _sql(rng: random.Random, codes: SchoolCodes) -> str:
    injection = rng.choice(SQL)
    return injection if rng.random() < 0.5 else codes.any_code(rng) + injection


def _format(rng: random.Random, codes: SchoolCodes) -> str:
    text = rng.choice(FORMATS)
    return text if rng.random() < 0.6 else codes.any_code(rng) + text


def _unicode(rng: random.Random, codes: SchoolCodes) -> str:
    code = codes.any_code(rng)
    shape = rng.randrange(10)
    if shape == 0:
        return full_width(code)  # NFKC makes it the real code again
    if shape == 1:
        at = rng.randint(0, len(code))
        return code[:at] + rng.choice(INVISIBLE) + code[at:]
    if shape == 2:
        return rng.choice(BIDI) + code[::-1]
    if shape == 3:
        return "".join(c + "\u0301" for c in code)  # a combining mark on every digit
    if shape == 4:
        return rng.choice(SPACES) + code + rng.choice(SPACES)
    if shape == 5:
        return code + rng.choice(ODD)
    if shape == 6:
        return unicodedata.normalize(rng.choice(["NFD", "NFKD"]), "２０２６ｆｉ") + code
    if shape == 7:
        return code.replace("0", rng.choice(["O", "o", "〇", "０", "٠"]))
    if shape == 8:
        return code + "\x00" + code
    return "".join(rng.choice(ODD + BIDI + INVISIBLE) for _ in range(rng.randint(1, 8)))


def _collision(rng: random.Random, codes: SchoolCodes) -> str:
    """Codes that are, or nearly are, another kind of code: a card where a book is expected,
    an ISBN as a card, a card read by an RFID card scanner in decimal, a barcode in lower case."""
    card, barcode = rng.choice(codes.cards), rng.choice(codes.barcodes)
    isbn = rng.choice(codes.isbns)
    shape = rng.randrange(10)
    if shape == 0:
        return card
    if shape == 1:
        return isbn
    if shape == 2:
        return f"ISBN {isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    if shape == 3:
        return isbn[3:12] + _isbn10_check(isbn[3:12])  # the ISBN-10 of a catalogue ISBN
    if shape == 4:
        return f"{int(card):010d}" if card.isdigit() else card.lower()
    if shape == 5:
        return barcode.lower() if not barcode.isdigit() else barcode.lstrip("0")
    if shape == 6:
        return f"{barcode}#1"
    if shape == 7:
        return card + barcode
    if shape == 8:
        return isbn[:-1] + str((int(isbn[-1]) + 1) % 10)  # an ISBN with a wrong check digit
    return rng.choice(["978", "9780000000002", "6901234567892", "0", "-", "#", "."])


def _isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = -total % 11
    return "X" if check == 10 else str(check)


def _random_unicode(rng: random.Random, codes: SchoolCodes) -> str:
    out = []
    for _ in range(rng.randint(0, 24)):
        plane = rng.random()
        if plane < 0.5:
            out.append(chr(rng.randint(0x20, 0x7E)))
        elif plane < 0.8:
            out.append(chr(rng.randint(0, 0xFFFF)))
        else:
            out.append(chr(rng.randint(0x10000, 0x10FFFF)))
    return "".join(out)


def _mixture(rng: random.Random, codes: SchoolCodes) -> str:
    makers = [_control, _long, _sql, _format, _unicode, _collision, _random_unicode]
    parts = [rng.choice(makers)(rng, codes) for _ in range(rng.randint(2, 4))]
    return "".join(p[:300] for p in parts)


MAKERS: dict[str, Callable[[random.Random, SchoolCodes], str]] = {
    "control": _control,
    "long": _long,
    "sql": _sql,
    "format": _format,
    "unicode": _unicode,
    "collision": _collision,
    "random": _random_unicode,
    "mixture": _mixture,
}


def hostile(rng: random.Random, codes: SchoolCodes) -> tuple[str, str]:
    """(category, text): one hostile scan."""
    category = rng.choice(list(MAKERS))
    return category, MAKERS[category](rng, codes)


__all__ = ["MAKERS", "SchoolCodes", "full_width", "hostile"]
