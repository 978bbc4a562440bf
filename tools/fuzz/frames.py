"""Text as serial scanners send it: lines for a serial scanner (``LineFramer``) and RDM6300
frames for a 125 kHz card scanner (``Rdm6300Framer``), cut into the chunks a port delivers, with
the faults of a wrong baud rate, a floating line or a card at the edge of the field."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from hardware.rdm6300 import ETX, STX, CardFormat, card_number

Chunk = tuple[bytes, float]  # what one read returned, and when (seconds)


@dataclass(frozen=True)
class Sent:
    chunks: tuple[Chunk, ...]
    expected: tuple[str, ...] | None  # what the decoder must give back, when that is certain
    disturbances: tuple[str, ...]


def _encode(rng: random.Random, text: str) -> tuple[bytes, str]:
    how = rng.randrange(5)
    if how == 0:
        return text.encode("utf-8", "surrogatepass"), "utf-8"
    if how == 1:
        return text.encode("gbk", "replace"), "gbk"
    if how == 2:
        return text.encode("latin-1", "replace"), "latin-1"
    if how == 3:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))), "random bytes"
    return text.encode("ascii", "replace"), "ascii"


def _chunks(rng: random.Random, data: bytes, start: float, pauses: bool) -> list[Chunk]:
    out: list[Chunk] = []
    at, i = start, 0
    while i < len(data):
        n = rng.choice([1, 1, 2, 7, 64, 4096])
        at += rng.choice([0.3, 0.7, 5.0]) if pauses and rng.random() < 0.1 else 0.001
        out.append((data[i : i + n], at))
        i += n
    return out


def serial_line(rng: random.Random, text: str, start: float, *, disturb: bool) -> Sent:
    """A serial scanner's line for ``text``."""
    faults: list[str] = []
    data, how = _encode(rng, text) if disturb else (text.encode("utf-8", "replace"), "utf-8")
    if not text.isascii() or data != text.encode("ascii"):
        faults.append(f"{how} bytes")
    end = rng.choice([b"\r", b"\n", b"\r\n", b"\n\r", b"", b"\r\r\n"]) if disturb else b"\r\n"
    if not end:
        faults.append("no line end")
    if disturb and rng.random() < 0.2:
        data = b"\x02" + data + b"\x03"
    chunks = _chunks(rng, data + end, start, pauses=disturb)
    if any(b - a >= 0.5 for (_, a), (_, b) in itertools.pairwise(chunks)):
        faults.append("pause inside the line")
    line = text.strip(" ")
    # The framer lets a few trailing spaces past the limit (they are stripped), not a run of them.
    spaces = len(text) - len(text.rstrip(" "))
    certain = (
        text.isascii() and text.isprintable() and 0 < len(line) <= 64 and spaces <= 64
    ) and not faults
    return Sent(tuple(chunks), (line,) if certain else None, tuple(faults))


def rdm6300_frame(id_hex: str, *, checksum_ok: bool = True) -> bytes:
    values = bytes.fromhex(id_hex)
    check = 0
    for value in values:
        check ^= value
    if not checksum_ok:
        check ^= 0x5A
    return bytes([STX]) + f"{id_hex}{check:02X}".encode() + bytes([ETX])


def rdm6300_reads(
    rng: random.Random, cards: list[str], start: float, card_format: CardFormat, *, disturb: bool
) -> Sent:
    """One placement of a card (repeated frames, as the module sends them), or junk."""
    card = rng.choice(cards)
    number = int(card) if card.isdigit() and int(card) < 2**32 else rng.randrange(2**32)
    id_hex = f"{rng.randrange(256):02X}{number:08X}"
    frame = rdm6300_frame(id_hex)
    faults: list[str] = []
    data = frame * rng.randint(1, 4)  # the module repeats while the card lies there
    if disturb:
        kind = rng.randrange(7)
        if kind == 0:
            data = rdm6300_frame(id_hex, checksum_ok=False) * rng.randint(1, 5)
            faults.append("bad checksums")
        elif kind == 1:
            cut = rng.randint(1, len(frame) - 1)
            data = frame[:cut] + frame
            faults.append("a cut frame")
        elif kind == 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            faults.append("noise")
        elif kind == 3:
            data = bytes([STX]) + bytes(
                rng.choice(b"0123456789ABCDEFxyz\x02\x03") for _ in range(20)
            )
            faults.append("a long frame")
        elif kind == 4:
            data = frame.lower() if rng.random() < 0.5 else b"\r\n\x00 " + frame + b"\r\n"
            faults.append("lower case or padding")
        elif kind == 5:
            data = frame + rdm6300_frame(f"{rng.randrange(2**40):010X}")
            faults.append("two cards")
        else:
            data = bytes([STX]) * 3 + frame + bytes([ETX]) * 3
            faults.append("doubled STX/ETX")
    chunks = _chunks(rng, data, start, pauses=False)
    expected = None if faults else (card_number(id_hex, card_format),)
    return Sent(tuple(chunks), expected, tuple(faults))
