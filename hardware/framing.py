"""Serial line framing: a pure state machine from bytes (with a monotonic time) to lines of text."""

from __future__ import annotations

from typing import Literal

from hardware.events import Reason, Rejection

Decoded = str | Rejection
Terminator = Literal["any", "cr", "lf", "crlf"]
TERMINATORS: tuple[Terminator, ...] = ("any", "cr", "lf", "crlf")

_CR, _LF = 0x0D, 0x0A
# C0 control characters and DEL: STX/ETX, the CR of a CRLF, tabs. Never part of a code.
_CONTROL = bytes([*range(0x20), 0x7F])
# A code may be followed by a few spaces (stripped later) and still be within the limit.
_TRAILING_SPACES_ALLOWED = 64


class LineFramer:
    """Splits a serial scanner's byte stream into codes at CR, LF or CRLF.

    ``any`` ends a line at CR or LF; the LF of a CRLF then ends an empty line, and empty lines
    are ignored, so CRLF counts once. ``crlf`` behaves like ``lf`` (the CR is a control character
    and is dropped). Control characters are dropped as they arrive and leading spaces are not
    kept, so ``max_length`` counts the characters of the code, not its STX/ETX or line ending.
    Only printable ASCII makes a code: a line with other bytes is almost always a port at the
    wrong baud rate and is rejected whole rather than guessed at.
    """

    def __init__(
        self,
        *,
        max_length: int = 64,
        timeout: float = 0.5,
        terminator: Terminator = "any",
        final_line_at_end: bool = False,
    ):
        self.max_length = max_length
        self.timeout = timeout
        self.final_line_at_end = final_line_at_end
        ends = {"any": (_CR, _LF), "cr": (_CR,), "lf": (_LF,), "crlf": (_LF,)}[terminator]
        self._ends = frozenset(ends)
        self._line = bytearray()
        self._overflowed = False
        self._last_byte_at: float | None = None

    def feed(self, data: bytes, now: float) -> list[Decoded]:
        out = self.expire(now)
        if not data:
            return out
        self._last_byte_at = now
        start = 0
        for index, byte in enumerate(data):
            if byte in self._ends:
                self._take(data[start:index], out)
                self._end_line(out)
                start = index + 1
        self._take(data[start:], out)
        return out

    def expire(self, now: float) -> list[Decoded]:
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        return self._drop_pending(f"no line end within {self.timeout:g} s of the last byte")

    def deadline(self) -> float | None:
        if not (self._line or self._overflowed) or self._last_byte_at is None or self.timeout <= 0:
            return None
        return self._last_byte_at + self.timeout

    def finish(self) -> list[Decoded]:
        """The end of the stream: a last line without a terminator still counts when asked to."""
        if self.final_line_at_end and self._line and not self._overflowed:
            out: list[Decoded] = []
            self._end_line(out)
            return out
        return self.reset()

    def reset(self) -> list[Decoded]:
        return self._drop_pending("the port closed in the middle of a line")

    def _take(self, chunk: bytes, out: list[Decoded]) -> None:
        if self._overflowed:
            return
        chunk = chunk.translate(None, _CONTROL)
        if not self._line:
            chunk = chunk.lstrip(b" ")
        if not chunk:
            return
        self._line += chunk
        if self._too_long():
            self._line.clear()
            self._overflowed = True
            out.append(
                Rejection(
                    Reason.TOO_LONG,
                    f"more than {self.max_length} characters without a line end; "
                    "ignored up to the next one",
                )
            )

    def _too_long(self) -> bool:
        line = self._line
        if len(line) <= self.max_length:
            return False
        # Trailing spaces are stripped later; only a few are let past the limit, so a line of
        # spaces still cannot grow without end.
        spaces = len(line) - len(line.rstrip(b" "))
        return len(line) - spaces > self.max_length or spaces > _TRAILING_SPACES_ALLOWED

    def _end_line(self, out: list[Decoded]) -> None:
        line, overflowed = bytes(self._line), self._overflowed
        self._line.clear()
        self._overflowed = False
        if overflowed or not line:
            return
        if not line.isascii():
            foreign = sum(1 for b in line if b >= 0x80)
            out.append(
                Rejection(
                    Reason.GARBLED,
                    f"line of {len(line)} bytes has {foreign} that are not ASCII "
                    "(wrong baud rate or encoding?)",
                )
            )
            return
        text = line.rstrip(b" ").decode("ascii")  # printable ASCII only, by now
        if text:
            out.append(text)

    def _drop_pending(self, why: str) -> list[Decoded]:
        line, overflowed = self._line, self._overflowed
        self._line, self._overflowed = bytearray(), False
        if overflowed or not line:
            return []
        preview = bytes(line[:16])
        return [Rejection(Reason.INCOMPLETE, f"dropped {len(line)} bytes {preview!r}: {why}")]
