"""A small fault-injecting TCP proxy on loopback, between the worker and the server.

Faults, set by the test between syncs: ``drop`` (accept, then close at once), ``delay`` (hold
each answer chunk this long), ``reset_answer`` (send part of the next answer, then reset the
connection), ``replace_answer`` (a 500, or garbage, in place of the server's answer), and
``hold`` (keep the Nth answer back, announce it with ``held``, until
``release``): the server has committed, the worker has not heard. Threads, not sleeps: the test
waits on events the proxy sets.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

RESPONSE_START = b"HTTP/1.1 "


@dataclass
class Faults:
    drop: int = 0  # connections to close at once
    delay: float = 0.0  # seconds before each chunk of an answer is passed on
    reset_answer: bool = False  # cut the next answer half-way and reset the connection
    hold_answer: int | None = None  # hold back the answer with this number (1 = the first)
    replace_answer: bytes | None = None  # answer the next request with these bytes instead
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults = Faults()
        self.answers = 0  # answers seen from the server (counted by their status lines)
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stopping.set()
        self.faults.release.set()
        for s in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                s.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self.faults.drop > 0:
                    self.faults.drop -= 1
                    client.close()
                    continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
            except OSError:
                client.close()  # the server is down: the worker sees the connection close
                continue
            self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if answers:
                    chunk = self._answer(chunk, target)
                    if chunk is None:
                        return
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _answer(self, chunk: bytes, client: socket.socket) -> bytes | None:
        faults = self.faults
        if chunk.startswith(RESPONSE_START):
            with self._lock:
                self.answers += 1
                number = self.answers
            if faults.replace_answer is not None:  # the server's answer never reaches the worker
                chunk, faults.replace_answer = faults.replace_answer, None
            if faults.hold_answer == number:
                faults.held.set()
                faults.release.wait(60)
            if faults.reset_answer:
                faults.reset_answer = False
                client.sendall(chunk[: max(1, len(chunk) // 2)])
                # SO_LINGER 0: close with a RST, as a crashing router or server would.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # Wake the thread reading the worker's side (no FIN is sent), then close: RST.
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_RD)
                client.close()
                return None
        if faults.delay:
            self._stopping.wait(faults.delay)
        return chunk
