"""The path from raw code to ScanEvent: clean, check, classify, role patterns, debounce."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from hardware.codes import CodeKind, classify, clean, looks_like_wrong_layout, matches_role
from hardware.debounce import Debouncer
from hardware.events import (
    Reason,
    Rejection,
    ScanEvent,
    ScannerOutput,
    ScannerProblem,
    ScannerReady,
)
from hardware.spec import ScannerSpec

Emit = Callable[[ScannerOutput], None]


class ScanPipeline:
    """Receives what a source decoded and emits ScanEvent, ScannerProblem and ScannerReady values.

    It is the same for every source, so a code means the same thing whichever scanner read it.
    ``counts`` tallies scans, duplicates and each problem reason for the probe and the logs.
    """

    def __init__(self, spec: ScannerSpec, emit: Emit, debouncer: Debouncer | None = None):
        self.spec = spec
        self._emit = emit
        self._debouncer = debouncer if debouncer is not None else Debouncer()
        self.counts: Counter[str] = Counter()

    def decoded(
        self, items: Iterable[str | Rejection], at: float, kind: CodeKind | None = None
    ) -> None:
        """Deliver a decoder's output; ``kind`` when the source knows better than the text does."""
        for item in items:
            if isinstance(item, Rejection):
                self.problem(item.reason, item.message, at)
            else:
                self.code(item, at, kind)

    def code(self, raw: str, at: float, kind: CodeKind | None = None) -> None:
        spec = self.spec
        text = clean(raw)
        if not text:
            return
        if len(text) > spec.max_length:
            self.problem(
                Reason.TOO_LONG, f"code of {len(text)} characters, limit {spec.max_length}", at
            )
            return
        if looks_like_wrong_layout(text) and not self._is_configured_code(text):
            self.problem(
                Reason.WRONG_LAYOUT,
                f"read {text[:16]!r}: the scanner types digits with Shift, so it is set to a "
                "non-US keyboard layout (AZERTY?); set it to US English",
                at,
            )
            return
        found = classify(
            text,
            spec.role,
            card_patterns=spec.card_patterns,
            book_patterns=spec.book_patterns,
            known=kind,
        )
        if not matches_role(found.text, spec.role, spec.patterns_for(spec.role)):
            self.problem(
                Reason.UNEXPECTED_CODE,
                f"{found.text[:16]!r} does not match the {spec.role} patterns of this scanner",
                at,
            )
            return
        if not self._debouncer.admit(found.role, found.text, at, spec.debounce):
            self.counts["duplicate"] += 1
            return
        self.counts["scan"] += 1
        self._emit(ScanEvent(found.text, found.role, spec.source, at, found.kind))

    def _is_configured_code(self, text: str) -> bool:
        # A school whose own barcodes contain #, $ or % says so with a pattern: not a layout error.
        patterns = (*self.spec.card_patterns, *self.spec.book_patterns)
        return any(p.fullmatch(text) for p in patterns)

    def problem(self, reason: Reason, message: str, at: float) -> None:
        self.counts[reason.value] += 1
        self._emit(ScannerProblem(self.spec.source, self.spec.role, reason, message, at))

    def ready(self, device: str, at: float) -> None:
        self.counts["ready"] += 1
        self._emit(ScannerReady(self.spec.source, self.spec.role, device, at))
