"""A configured scanner: one source, the shared scan pipeline, and the thread that runs them."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType

from hardware.codes import ScannerRole
from hardware.debounce import Debouncer
from hardware.events import Reason
from hardware.host import Host
from hardware.pipeline import Emit, ScanPipeline
from hardware.sources.base import Source
from hardware.sources.fake import FakeSource
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal

logger = logging.getLogger(__name__)


class Scanner:
    """Reads one source and hands ScanEvent, ScannerProblem and ScannerReady values to ``emit``.

    ``start(queue.put)`` runs it on a daemon thread (what the UI does); ``run(emit)`` runs it in
    the calling thread. Either returns or ends when ``stop()`` is called from any thread, or when
    a finite source (a recording, stdin) is exhausted. A scanner runs once.
    """

    def __init__(self, spec: ScannerSpec, source: Source, *, host: Host, debouncer: Debouncer):
        self.spec = spec
        self.source = source
        self._host = host
        self._debouncer = debouncer
        self._stop = StopSignal()
        self._thread: threading.Thread | None = None
        self._pipeline: ScanPipeline | None = None
        self._started = False

    @property
    def role(self) -> ScannerRole:
        return self.spec.role

    @property
    def name(self) -> str:
        """The ``source`` of its events: the URL without options, or the ``name`` option."""
        return self.spec.source

    @property
    def counts(self) -> Counter[str]:
        """Scans, suppressed duplicates, readiness and each problem reason seen so far."""
        return self._pipeline.counts if self._pipeline else Counter()

    def run(self, emit: Emit) -> None:
        if self._started:
            raise RuntimeError(f"{self.name}: a scanner runs once; open a new one")
        self._started = True
        self._pipeline = pipeline = ScanPipeline(self.spec, emit, self._debouncer)
        try:
            self.source.run(pipeline, self._stop)
        except Exception as exc:
            # A bug, not a device problem (those are values already). Device scanners recover
            # from these inside keep_connected; a recording, stdin or fake ends here, and the UI
            # hears of it instead of a scanner that silently stopped reading.
            logger.exception("scanner %s failed", self.name)
            pipeline.problem(
                Reason.SCANNER_FAILED, f"{type(exc).__name__}: {exc}", self._host.clock()
            )

    def start(self, emit: Emit, on_end: Callable[[], None] | None = None) -> threading.Thread:
        """Run on a daemon thread; ``on_end`` is called on that thread when the scanner finishes."""

        def run_then_report_end() -> None:
            try:
                self.run(emit)
            finally:
                if on_end is not None:
                    on_end()

        self._thread = threading.Thread(
            target=run_then_report_end, name=f"scanner {self.name}", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread started by ``start``; True once it has finished."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        """Stop, wait for the thread, and release the stop pipe. Safe to call twice."""
        self.stop()
        if self.join(timeout):
            self._stop.close()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class FakeScanner(Scanner):
    """A Scanner over a FakeSource, with its test controls at hand."""

    source: FakeSource

    def scan(self, text: str) -> None:
        self.source.scan(text)

    def unplug(self) -> None:
        self.source.unplug()

    def replug(self) -> None:
        self.source.replug()

    def end(self) -> None:
        self.source.end()
