"""Replaying an evemu-record file through the wedge decoder: a school's scanner, reproduced."""

from __future__ import annotations

from pathlib import Path

from hardware.errors import DeviceUnavailable
from hardware.events import Reason
from hardware.host import Host
from hardware.pipeline import ScanPipeline
from hardware.recording import read_recording
from hardware.spec import ScannerSpec
from hardware.waiting import StopSignal
from hardware.wedge import WedgeDecoder

# Each bad line is worth a look, but a file of garbage must not flood the screen: the first few
# are shown one by one, then how many more there are.
_BAD_LINES_REPORTED = 5


class EvemuSource:
    """Feeds a recording's events to the same decoder a live device uses, then ends.

    Time comes from the recording, shifted to start at the host clock's reading: the time-outs
    see the gaps the real scanner made, so a replay decodes exactly as the device did, however
    fast it runs. With ``pace=1`` it also waits out those gaps, for watching a demo.
    """

    def __init__(self, spec: ScannerSpec, host: Host):
        self.spec = spec
        self._host = host

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None:
        clock = self._host.clock
        path = Path(self.spec.target)
        try:
            recording = read_recording(path)
        except DeviceUnavailable as exc:
            sink.problem(exc.reason, str(exc), clock())
            return
        start = clock()
        sink.ready(f"a recording of {recording.name or 'an unnamed device'!r}", start)
        self._report_bad_lines(sink, path, recording.bad_lines, start)
        decoder = WedgeDecoder(
            max_length=self.spec.max_length,
            timeout=self.spec.timeout,
            tab_ends_code=self.spec.tab_ends_code,
        )
        first = recording.events[0].time if recording.events else 0.0
        at = start
        for event in recording.events:
            at = start + max(0.0, event.time - first)
            if self.spec.pace and at > clock() and self._host.wait(stop, at - clock()):
                return
            if stop.is_set():
                return
            sink.decoded(decoder.feed(event, at), at)
        # A recording that stops in the middle of a code ends like a scanner that went quiet.
        sink.decoded(decoder.reset("the recording ended in the middle of a code"), at)

    @staticmethod
    def _report_bad_lines(
        sink: ScanPipeline, path: Path, bad_lines: list[tuple[int, str]], at: float
    ) -> None:
        for number, line in bad_lines[:_BAD_LINES_REPORTED]:
            sink.problem(Reason.BAD_RECORDING, f"{path}:{number}: cannot read {line[:60]!r}", at)
        more = len(bad_lines) - _BAD_LINES_REPORTED
        if more > 0:
            sink.problem(
                Reason.BAD_RECORDING, f"{path}: {more} more lines cannot be read either", at
            )
