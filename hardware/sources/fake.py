"""The fake scanner: no device, test controls (scan, unplug, replug, end). Only by ``fake:``."""

from __future__ import annotations

import queue
from dataclasses import dataclass

from hardware.events import Reason
from hardware.host import Host
from hardware.pipeline import ScanPipeline
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal


@dataclass(frozen=True)
class _Scan:
    text: str


@dataclass(frozen=True)
class _Unplug:
    pass


@dataclass(frozen=True)
class _Replug:
    pass


@dataclass(frozen=True)
class _End:
    pass


_Action = _Scan | _Unplug | _Replug | _End


class FakeSource:
    """Plays what its controls ask for, in order, through the same pipeline as a real scanner."""

    def __init__(self, spec: ScannerSpec, host: Host):
        self.spec = spec
        self._host = host
        self._actions: queue.SimpleQueue[_Action] = queue.SimpleQueue()

    def scan(self, text: str) -> None:
        """As if a code was read: cleaned, checked, classified and debounced like any other."""
        self._actions.put(_Scan(text))

    def unplug(self) -> None:
        self._actions.put(_Unplug())

    def replug(self) -> None:
        self._actions.put(_Replug())

    def end(self) -> None:
        """Finish like a recording does: ``run`` returns after what was queued before."""
        self._actions.put(_End())

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None:
        clock = self._host.clock
        stop.on_set(self.end)
        sink.ready("fake scanner", clock())
        while not stop.is_set():
            action = self._actions.get()
            if isinstance(action, _End):
                return
            if isinstance(action, _Scan):
                sink.code(action.text, clock())
            elif isinstance(action, _Unplug):
                sink.problem(Reason.DISCONNECTED, "the fake scanner was unplugged", clock())
            else:
                sink.ready("fake scanner", clock())
