"""Hostile input through the scanners' real decoders and the shared scan pipeline, as the sources
in hardware/sources drive them, with the decoders' own promises checked on every input.

Each input gets a fresh decoder, so a failure's reproduction is that input alone.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from hardware import CodeKind, Debouncer, ScanEvent, ScannerProblem
from hardware.events import Reason, Rejection
from hardware.framing import LineFramer
from hardware.pipeline import ScanPipeline
from hardware.rdm6300 import Rdm6300Framer
from hardware.spec import ScannerSpec, parse_scanner_url
from hardware.wedge import WedgeDecoder
from tools.fuzz import tally as kinds
from tools.fuzz.frames import Sent, rdm6300_reads, serial_line
from tools.fuzz.keystrokes import Typed, Typist
from tools.fuzz.tally import Tally

HANG_SECONDS = 2.0
SPECS = {
    "wedge": "evdev:///dev/input/by-id/usb-fuzz-event-kbd?role=any",
    "wedge, Tab ends": "evdev:///dev/input/by-id/usb-fuzz-event-kbd?role=card&terminator=enter,tab",
    "serial": "serial:///dev/ttyFUZZ?role=book",
    "rdm6300": "rdm6300:///dev/ttyFUZZ?role=card",
    "rdm6300, hex": "rdm6300:///dev/ttyFUZZ?role=card&format=hex",
}
_PRINTABLE_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
Deliver = Callable[[list[str | Rejection], float, CodeKind | None], None]


@dataclass(frozen=True)
class Read:
    """A code the pipeline handed on, as the door receives it."""

    text: str
    role: str  # card, book or any
    source: str  # which scanner


def _frame_of(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    return f"{'/'.join(last.filename.split('/')[-2:])}:{last.lineno}" if last else "?"


def _shown_events(typed: Typed) -> str:
    rows = [f"({e.sec}, {e.usec}, {e.type}, {e.code}, {e.value})" for e in typed.events]
    head = ", ".join(rows[:60]) + (f", … {len(rows) - 60} more" if len(rows) > 60 else "")
    return f"[InputEvent(*e) for e in [{head}]]"


class ScannerKinds:
    """The five scanner kinds; ``feed_*`` return what reached the door side of the pipeline."""

    def __init__(self, rng: random.Random, tally: Tally) -> None:
        self.rng = rng
        self.tally = tally
        self.specs: dict[str, ScannerSpec] = {k: parse_scanner_url(u) for k, u in SPECS.items()}
        self.typist = Typist(rng)
        self.clock = 5_000.0

    # --- one input through a decoder ------------------------------------------------------

    def _run(
        self,
        name: str,
        feed: Callable[[Deliver], None],
        expected: tuple[str, ...] | None,
        reproduction: Callable[[], str],
    ) -> list[Read]:
        spec = self.specs[name]
        emitted: list[object] = []
        pipeline = ScanPipeline(spec, emitted.append, Debouncer())
        decoded: list[str | Rejection] = []

        def deliver(items: list[str | Rejection], at: float, kind: CodeKind | None = None) -> None:
            decoded.extend(items)  # what the decoder made, before the pipeline sees it
            pipeline.decoded(items, at, kind)

        where = f"{name} decoder"
        started = time.perf_counter()
        try:
            feed(deliver)
        except Exception as exc:
            self.tally.fail(
                kinds.CRASH,
                where,
                f"{type(exc).__name__} at {_frame_of(exc)}",
                f"{type(exc).__name__}: {exc}",
                f"{reproduction()}\n{traceback.format_exc(limit=-4)}",
            )
            return []
        elapsed = time.perf_counter() - started
        if elapsed > HANG_SECONDS:
            self.tally.fail(
                kinds.HANG, where, "slow input", f"{elapsed:.1f} s for one input", reproduction()
            )
        self._check(name, spec, decoded, emitted, expected, reproduction)
        reads = [Read(e.text, e.role.value, name) for e in emitted if isinstance(e, ScanEvent)]
        self.tally.count("scanners", f"{name}: inputs")
        self.tally.count("scanners", f"{name}: codes", len(reads))
        problems = sum(1 for e in emitted if isinstance(e, ScannerProblem))
        self.tally.count("scanners", f"{name}: problems reported", problems)
        return reads

    def _check(
        self,
        name: str,
        spec: ScannerSpec,
        decoded: list[str | Rejection],
        emitted: list[object],
        expected: tuple[str, ...] | None,
        reproduction: Callable[[], str],
    ) -> None:
        where = f"{name} decoder"
        texts = [d for d in decoded if isinstance(d, str)]
        for item in decoded:
            if isinstance(item, Rejection):
                if item.reason.value not in {r.value for r in Reason}:
                    self._broken(where, "a rejection without a reason", repr(item), reproduction)
            elif not item or len(item) > spec.max_length:
                self._broken(where, "a code empty or over max_length", repr(item), reproduction)
            elif not name.startswith("rdm6300") and not set(item) <= _PRINTABLE_ASCII:
                self._broken(where, "a code that is not printable ASCII", repr(item), reproduction)
        if expected is not None and tuple(texts) != expected:
            self._broken(
                where,
                "a code typed whole did not come out whole",
                f"expected {expected!r}, decoded {texts!r}",
                reproduction,
            )
        for event in emitted:
            if isinstance(event, ScanEvent) and not 0 < len(event.text) <= spec.max_length:
                self._broken(
                    "scan pipeline", "a ScanEvent empty or too long", repr(event), reproduction
                )

    def _broken(self, where: str, what: str, detail: str, reproduction: Callable[[], str]) -> None:
        self.tally.fail(kinds.INVARIANT, where, what, f"{what}: {detail[:200]}", reproduction())

    # --- the scanners ------------------------------------------------------------------------

    def feed_wedge(self, text: str, *, disturb: bool, tab: bool = False) -> list[Read]:
        name = "wedge, Tab ends" if tab else "wedge"
        spec = self.specs[name]
        typed = self.typist.type(text, disturb=disturb)

        def feed(deliver: Deliver) -> None:
            decoder = WedgeDecoder(
                max_length=spec.max_length, timeout=spec.timeout, tab_ends_code=spec.tab_ends_code
            )
            now = 0.0
            for event in typed.events:
                now = max(now, event.timestamp()) + 0.0005  # read a little after it was sent
                deliver(decoder.expire(now), now, None)
                deliver(decoder.feed(event, now), now, None)
            deliver(decoder.expire(now + 10), now + 10, None)

        expected = (typed.expected,) if typed.expected is not None else None
        return self._run(
            name,
            feed,
            expected,
            lambda: (
                f"WedgeDecoder(max_length={spec.max_length}, timeout={spec.timeout}, "
                f"tab_ends_code={spec.tab_ends_code}); events {_shown_events(typed)}; "
                f"faults {list(typed.disturbances)}"
            ),
        )

    def _bytes(self, name: str, sent: Sent, make: Callable[[], object]) -> list[Read]:
        kind = CodeKind.RFID_EM4100 if name.startswith("rdm6300") else None

        def feed(deliver: Deliver) -> None:
            framer = make()
            assert isinstance(framer, LineFramer | Rdm6300Framer)
            now = 0.0
            for data, at in sent.chunks:
                now = at
                deliver(framer.expire(now), now, kind)
                deliver(framer.feed(data, now), now, kind)
            deliver(framer.expire(now + 10), now + 10, kind)
            deliver(framer.finish(), now + 10, kind)

        def shown() -> str:
            data = b"".join(c for c, _ in sent.chunks)
            return f"{name}: bytes {data[:300]!r} in {len(sent.chunks)} reads; {sent.disturbances}"

        return self._run(name, feed, sent.expected, shown)

    def feed_serial(self, text: str, *, disturb: bool) -> list[Read]:
        spec = self.specs["serial"]
        self.clock += 10
        sent = serial_line(self.rng, text, self.clock, disturb=disturb)
        return self._bytes(
            "serial",
            sent,
            lambda: LineFramer(
                max_length=spec.max_length, timeout=spec.timeout, terminator=spec.line_terminator
            ),
        )

    def feed_rdm6300(self, cards: list[str], *, disturb: bool) -> list[Read]:
        name = self.rng.choice(["rdm6300", "rdm6300, hex"])
        spec = self.specs[name]
        self.clock += 10
        sent = rdm6300_reads(self.rng, cards, self.clock, spec.card_format, disturb=disturb)
        return self._bytes(
            name,
            sent,
            lambda: Rdm6300Framer(lifted_after=spec.lifted_after, card_format=spec.card_format),
        )
