"""Stopping and waiting for scanner threads: a stop signal that wakes blocked reads; back-off."""

from __future__ import annotations

import enum
import os
import select
import threading
from collections.abc import Callable


class Wake(enum.Enum):
    DATA = "data"
    TIMEOUT = "timeout"
    STOP = "stop"


class StopSignal:
    """A ``threading.Event`` that can also wake a thread blocked in ``poll`` on a device.

    ``set()`` from any thread writes to a pipe that every wait polls beside the device, so a
    scanner stops at once instead of at its next time-out. The pipe is made on the first such
    wait: fakes and recordings never poll, and so hold no file descriptors.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._read_fd = self._write_fd = -1
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
            if self._write_fd >= 0:
                os.write(self._write_fd, b"x")
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds; True if stopping (the ``Event.wait`` convention)."""
        return self._event.wait(timeout)

    def on_set(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on stop (now, if already stopped): for sources blocked on a queue."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def wait_readable(self, fd: int, timeout: float | None) -> Wake:
        """Block until ``fd`` has data (or an error to read), ``timeout`` passes, or stop is set."""
        if self._event.is_set():
            return Wake.STOP
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        poller.register(self._wake_fd(), select.POLLIN)
        ready = poller.poll(None if timeout is None else max(0, int(timeout * 1000 + 0.999)))
        if self._event.is_set():
            return Wake.STOP
        return Wake.DATA if any(f == fd for f, _ in ready) else Wake.TIMEOUT

    def _wake_fd(self) -> int:
        with self._lock:
            if self._read_fd < 0:
                self._read_fd, self._write_fd = os.pipe()
                os.set_blocking(self._write_fd, False)
                if self._event.is_set():
                    os.write(self._write_fd, b"x")
            return self._read_fd

    def close(self) -> None:
        with self._lock:
            for fd in (self._read_fd, self._write_fd):
                if fd >= 0:
                    os.close(fd)
            self._read_fd = self._write_fd = -1


def wait_or_stop(stop: StopSignal, delay: float) -> bool:
    """The real back-off wait: sleeps ``delay`` seconds unless stopped first; True if stopping."""
    return stop.wait(delay)


class Backoff:
    """Delays between attempts to reopen a device: 0.5 s, doubling, at most 5 s.

    A child who unplugs a scanner usually plugs it back within seconds; five seconds is short
    enough to feel immediate and long enough that a missing device costs no CPU.
    """

    def __init__(self, initial: float = 0.5, maximum: float = 5.0):
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self.maximum, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self.initial
