"""What sources share: the Source protocol, reopening lost devices with back-off, byte pumping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from hardware.codes import CodeKind
from hardware.errors import DeviceLost, DeviceUnavailable
from hardware.events import Reason, Rejection
from hardware.host import Host
from hardware.pipeline import ScanPipeline
from hardware.waiting import Backoff, StopSignal, Wake

Decoded = str | Rejection

logger = logging.getLogger(__name__)


class Source(Protocol):
    """Reads one device, file or stream until ``stop`` is set or the input ends.

    It never raises for anything a device or its user can do: problems go to the pipeline as
    values. ``run`` returns when stopping or at the end of a finite input (a recording, stdin).
    """

    def run(self, sink: ScanPipeline, stop: StopSignal) -> None: ...


class Connection(Protocol):
    """One open device; ``pump`` reads it until stop (returns) or until it is lost (DeviceLost)."""

    device: str

    def pump(self, sink: ScanPipeline, stop: StopSignal) -> None: ...
    def close(self) -> None: ...


class ByteFramer(Protocol):
    def feed(self, data: bytes, now: float) -> list[Decoded]: ...
    def expire(self, now: float) -> list[Decoded]: ...
    def deadline(self) -> float | None: ...
    def reset(self) -> list[Decoded]: ...
    def finish(self) -> list[Decoded]: ...


def _is_news(reason: Reason, outage: Reason | None) -> bool:
    # While a device is unplugged, "not found" is the expected sequel of "disconnected".
    same_outage = outage is Reason.DISCONNECTED and reason is Reason.NOT_FOUND
    return reason is not outage and not same_outage


def keep_connected(
    connect: Callable[[], Connection], sink: ScanPipeline, stop: StopSignal, host: Host
) -> None:
    """Open, read, and reopen after every loss, waiting with back-off, until stopped.

    Each outage is reported once (not once per attempt) and each recovery as ScannerReady, so the
    UI can show and clear a "plug the scanner back in" screen. An unexpected exception (a bug in
    a decoder, a driver library surprise) is logged, reported as ``scanner_failed`` and handled
    like a lost device: the device is released and reopened. A kiosk's scanner must not stop
    for good, ungrabbed, while the app runs on.
    """
    backoff = Backoff()
    outage: Reason | None = None
    while not stop.is_set():
        try:
            connection = connect()
        except DeviceUnavailable as exc:
            if _is_news(exc.reason, outage):
                sink.problem(exc.reason, str(exc), host.clock())
                outage = exc.reason
            if host.wait(stop, backoff.next_delay()):
                return
            continue
        except Exception as exc:
            if _is_news(Reason.SCANNER_FAILED, outage):
                _report_failure(sink, exc, host)
                outage = Reason.SCANNER_FAILED
            if host.wait(stop, backoff.next_delay()):
                return
            continue
        outage = None
        opened_at = host.clock()
        try:
            sink.ready(connection.device, opened_at)
            connection.pump(sink, stop)
        except DeviceLost as exc:
            sink.problem(Reason.DISCONNECTED, str(exc), host.clock())
            outage = Reason.DISCONNECTED
        except Exception as exc:
            _report_failure(sink, exc, host)
            outage = Reason.SCANNER_FAILED
        finally:
            connection.close()
        # A device that fails as soon as it opens (a loose cable) must not be retried at the
        # shortest delay forever: only a connection that lasted resets the back-off.
        if host.clock() - opened_at >= backoff.maximum:
            backoff.reset()
        if stop.is_set() or host.wait(stop, backoff.next_delay()):
            return


def _report_failure(sink: ScanPipeline, exc: Exception, host: Host) -> None:
    logger.error("scanner %s failed; reopening it", sink.spec.source, exc_info=exc)
    sink.problem(
        Reason.SCANNER_FAILED,
        f"{type(exc).__name__}: {str(exc)[:200]}; the scanner reopens the device",
        host.clock(),
    )


def pump_bytes(
    fd: int,
    read: Callable[[], bytes],
    framer: ByteFramer,
    sink: ScanPipeline,
    stop: StopSignal,
    clock: Callable[[], float],
    kind: CodeKind | None = None,
) -> bool:
    """Feed what ``read`` returns to ``framer`` until stopped (True) or the stream ends (False).

    Blocks in poll, never in a busy loop: the only time-out is the framer's own deadline for a
    half line. Errors raised by ``read`` propagate; the caller decides whether they mean "lost".
    """
    while True:
        deadline = framer.deadline()
        wake = stop.wait_readable(fd, None if deadline is None else max(0.0, deadline - clock()))
        now = clock()
        if wake is Wake.STOP:
            return True
        if wake is Wake.TIMEOUT:
            sink.decoded(framer.expire(now), now, kind)
            continue
        data = read()
        if not data:
            sink.decoded(framer.finish(), now, kind)
            return False
        sink.decoded(framer.feed(data, now), now, kind)
