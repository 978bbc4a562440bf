"""Codes typed at a terminal or piped in, one per line: a scanner for demos, scripts and tests."""

from __future__ import annotations

import os
import sys

from hardware.framing import LineFramer
from hardware.host import Host
from hardware.pipeline import ScanPipeline
from hardware.sources.base import pump_bytes
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal

_READ_SIZE = 4096


class StdinSource:
    """Reads lines from the host's stdin until end of file; a last line without a newline counts."""

    def __init__(self, spec: ScannerSpec, host: Host):
        self.spec = spec
        self._host = host

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None:
        stream = self._host.stdin if self._host.stdin is not None else sys.stdin.buffer
        fd = stream.fileno()
        framer = LineFramer(
            max_length=self.spec.max_length,
            timeout=self.spec.timeout,
            terminator=self.spec.line_terminator,
            final_line_at_end=True,
        )
        sink.ready("standard input", self._host.clock())
        # os.read on the descriptor, not stream.read: a buffered read would wait for a full buffer.
        pump_bytes(fd, lambda: os.read(fd, _READ_SIZE), framer, sink, stop, self._host.clock)
