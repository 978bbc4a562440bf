"""The real processes the simulation runs and breaks, on top of the sync tests' harness.

``ChaosServer`` is the server on the simulation's clock (tools.chaos.server), its output read as
it comes; ``ChaosProxy`` tests/sync's fault proxy with a network cut and an upload cut half-way;
``CrashableCluster`` its PostgreSQL that can also crash, restart, dump and restore; ``Worker``
one kiosk's `kiosk sync run`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import psycopg

from kiosk.clocks import SIMULATED_CLOCK_VARIABLE
from tests.sync.postgres import Cluster
from tests.sync.processes import BIN
from tests.sync.proxy import FaultProxy

REPO = Path(__file__).resolve().parents[2]
TRACEBACK = "Traceback (most recent call last)"
PUSH = b"POST /v1/push "


def _reset(*sockets: socket.socket) -> None:
    """Close with a RST (SO_LINGER 0), as a dropped link or a crashed router does."""
    for s in sockets:
        with contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()


class ChaosServer:
    """The server (tools.chaos.server: the app as `kiosk-server serve` serves it, on the
    simulation's clock) on 127.0.0.1; its stderr copied to ``log`` as it is written, and to
    ``lines`` with the time each arrived (time.monotonic()), so that a long run's tracebacks
    never fill a pipe and stop it."""

    def __init__(
        self, db: str, clock: Path, log: Path, lines: list[tuple[float, str]], *, port: int = 0
    ) -> None:
        argv = ["-m", "tools.chaos.server", "--db", db, "--port", str(port), "--clock", str(clock)]
        self.process = subprocess.Popen(
            [sys.executable, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        line = self.process.stdout.readline()  # printed once the socket listens
        if "serving" not in line:
            self.process.kill()
            _, err = self.process.communicate(timeout=30)
            raise RuntimeError(f"the server did not start: {line}{err}")
        self.url = line.split()[2]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.log = log
        self.lines = lines
        self._log_thread = threading.Thread(target=self._read, daemon=True)
        self._log_thread.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.log.open("a", encoding="utf-8") as out:
            for line in self.process.stderr:
                self.lines.append((time.monotonic(), line))
                out.write(line)
                out.flush()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as when the power goes."""
        self.process.kill()
        self._end()

    def stop(self) -> None:
        """SIGTERM, and wait."""
        self.process.terminate()
        self._end()

    def _end(self) -> None:
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log_thread.join(30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class ChaosProxy(FaultProxy):
    """The fault proxy, plus a cut (every connection closed, new ones dropped), holds that can
    be repeated, and an upload cut half-way (``cut_upload``: the next push's body is half sent,
    then the connection is reset, as when the kiosk's Wi-Fi drops mid-request)."""

    cut_upload = False

    def _pipe(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        if answers:
            super()._pipe(source, target, answers)
            return
        cutting = False
        try:
            while chunk := source.recv(65536):
                if self.cut_upload and chunk.startswith(PUSH):
                    self.cut_upload, cutting = False, True
                if cutting:
                    head, sep, body = chunk.partition(b"\r\n\r\n")
                    if sep:  # the request's headers go whole; its body will not
                        target.sendall(head + sep)
                        chunk = body
                        if not chunk:
                            continue
                    target.sendall(chunk[: len(chunk) // 2])
                    _reset(source, target)
                    return
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            self.faults.drop = 1 << 30
        for s in list(self._sockets):
            with contextlib.suppress(OSError):
                s.close()
        self._sockets.clear()

    def mend(self) -> None:
        with self._lock:
            self.faults.drop = 0

    def hold_next(self) -> None:
        """Keep the next answer back (the server has done the work; the worker never hears)."""
        self.faults.held = threading.Event()
        self.faults.release = threading.Event()
        self.faults.hold_answer = self.answers + 1

    def release(self) -> None:
        self.faults.hold_answer = None
        self.faults.release.set()

    def calm(self) -> None:
        """No fault from now on."""
        self.mend()
        self.release()
        self.faults.delay = 0.0
        self.faults.reset_answer = False


class CrashableCluster(Cluster):
    """The throwaway PostgreSQL, which can also crash (``-m immediate``) and start again."""

    def _options(self) -> str:
        # As Cluster.start starts it (that method also runs initdb, so it cannot be reused).
        options = (
            f"-k {self.root} -c listen_addresses=127.0.0.1 -p {self.port} -c max_connections=300"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        return options

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def _client(self, name: str, *argv: str) -> None:
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        done = subprocess.run(
            [str(self.bindir / name), *connection, *argv],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed: {done.stderr}")

    def dump(self, database: str, to: Path) -> None:
        """`pg_dump -Fc`, as a school's nightly backup does."""
        self._client("pg_dump", "-Fc", "-f", str(to), database)

    def restore(self, database: str, dump: Path) -> None:
        """A new, empty database of that name, and `pg_restore` of the dump into it."""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}"')
        self._client("pg_restore", "--no-owner", "-d", database, str(dump))


class Worker:
    """One kiosk's sync worker, `kiosk sync run`, its output appended to a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv = argv
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self._out = self.log.open("ab")
        self._out.write(b"--- chaos: worker started\n")
        self._out.flush()
        self.process = subprocess.Popen(
            [str(BIN / "kiosk"), *self.argv],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=self.env,
        )

    def kill(self) -> None:
        """SIGKILL, as when the power goes or the OOM killer picks it."""
        self._end(signal.SIGKILL)

    def stop(self) -> int | None:
        """SIGTERM, as systemd stops it; its exit status."""
        return self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(timeout=30)
        if self._out is not None:
            self._out.close()
        self.process = None
        return status


def environment(clock: Path) -> dict[str, str]:
    """The environment of a kiosk's processes: its simulated machine clock, unbuffered output."""
    return {**os.environ, SIMULATED_CLOCK_VARIABLE: str(clock), "PYTHONUNBUFFERED": "1"}
