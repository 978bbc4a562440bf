"""RDM6300 125 kHz framing: STX, 10 hex digits, 2 hex XOR checksum, ETX; one read per placement."""

from __future__ import annotations

from typing import Literal

from hardware.events import Reason, Rejection

Decoded = str | Rejection
CardFormat = Literal["decimal", "hex"]

STX, ETX = 0x02, 0x03
_BODY = 12  # 10 hex digits of id + 2 of checksum
# Some clones end frames with CR/LF; spaces and NULs appear on a line that floats at power-up.
_HARMLESS_BETWEEN_FRAMES = frozenset(b"\r\n \x00")
_HEX = frozenset(b"0123456789ABCDEFabcdef")


def frame_checksum_ok(body: bytes) -> bool:
    """Whether the XOR of the five id bytes is the checksum byte; ``body`` is 12 hex digits."""
    values = bytes.fromhex(body.decode("ascii"))
    check = 0
    for value in values[:5]:
        check ^= value
    return check == values[5]


def card_number(id_hex: str, card_format: CardFormat) -> str:
    """The card as the kiosk stores it.

    ``decimal`` is the 32-bit id, zero-padded to ten digits: what USB "ID card" scanners type in
    keyboard mode, so one card reads as one number on either kind of scanner. ``hex`` is the
    module's ten hex digits (version byte included) for schools that registered cards that way.
    """
    if card_format == "hex":
        return id_hex.upper()
    return f"{int(id_hex[2:], 16):010d}"


class Rdm6300Framer:
    """Finds RDM6300 frames in a byte stream and reports each card once while it lies on the coil.

    The module repeats the frame for as long as a card is in the field. A frame with the same id
    less than ``lifted_after`` seconds after the previous one is the same placement, not a new read.
    Bad checksums are dropped and counted in ``bad_checksums``, and reported once per run: a card
    at the edge of the field makes several a second, and one problem says it all. The next run
    starts after a card is read or after ``lifted_after`` seconds without a bad frame. Stray
    bytes are reported once per run of noise, not once per byte.
    """

    def __init__(self, *, lifted_after: float = 0.5, card_format: CardFormat = "decimal"):
        self.lifted_after = lifted_after
        self.card_format: CardFormat = card_format
        self.bad_checksums = 0
        self._frame: bytearray | None = None
        self._skipping_frame = False  # the rest of a frame already reported as too long
        self._noise_reported = False
        self._bad_checksum_at: float | None = None  # the last one of the run being reported
        self._card: str | None = None
        self._card_seen_at = 0.0

    def feed(self, data: bytes, now: float) -> list[Decoded]:
        out: list[Decoded] = []
        for byte in data:
            if byte == STX:
                self._skipping_frame = False
                if self._frame is not None:
                    out.append(
                        Rejection(Reason.BAD_FRAME, "frame started before the last one ended")
                    )
                self._frame = bytearray()
            elif self._frame is None:
                self._stray(byte, out)
            elif byte == ETX:
                self._end_frame(bytes(self._frame), now, out)
                self._frame = None
            else:
                self._frame.append(byte)
                if len(self._frame) > _BODY:
                    out.append(Rejection(Reason.BAD_FRAME, f"frame longer than {_BODY} characters"))
                    self._frame = None
                    self._skipping_frame = True
        return out

    def expire(self, now: float) -> list[Decoded]:
        return []  # a cut frame is reported when the next STX arrives or the port closes

    def deadline(self) -> float | None:
        return None

    def finish(self) -> list[Decoded]:
        return self.reset()

    def reset(self) -> list[Decoded]:
        frame, self._frame = self._frame, None
        self._card = None
        return (
            [Rejection(Reason.BAD_FRAME, "the port closed in the middle of a frame")]
            if frame
            else []
        )

    def _stray(self, byte: int, out: list[Decoded]) -> None:
        if self._skipping_frame:
            self._skipping_frame = byte != ETX
            return
        if byte in _HARMLESS_BETWEEN_FRAMES or self._noise_reported:
            return
        self._noise_reported = True
        out.append(
            Rejection(
                Reason.NOISE,
                f"byte 0x{byte:02x} outside a frame (wrong baud rate, or not an RDM6300?)",
            )
        )

    def _end_frame(self, body: bytes, now: float, out: list[Decoded]) -> None:
        if len(body) != _BODY or not set(body) <= _HEX:
            out.append(
                Rejection(Reason.BAD_FRAME, f"frame of {len(body)} bytes is not 12 hex digits")
            )
            return
        if not frame_checksum_ok(body):
            self._bad_checksum(body, now, out)
            return
        self._noise_reported = False
        id_hex = body[:10].decode("ascii").upper()
        same_placement = self._card == id_hex and now - self._card_seen_at < self.lifted_after
        self._card, self._card_seen_at = id_hex, now
        if not same_placement:
            self._bad_checksum_at = None
            out.append(card_number(id_hex, self.card_format))

    def _bad_checksum(self, body: bytes, now: float, out: list[Decoded]) -> None:
        self.bad_checksums += 1
        last, self._bad_checksum_at = self._bad_checksum_at, now
        if last is not None and now - last < self.lifted_after:
            return  # the same run: a card still at the edge of the field
        out.append(
            Rejection(
                Reason.BAD_CHECKSUM,
                f"checksum does not match in frame {body!r} (further ones are not reported "
                "while they keep coming: hold the card flat on the scanner)",
            )
        )
