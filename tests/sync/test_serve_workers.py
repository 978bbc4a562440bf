"""`kiosk-server serve --workers N`: N processes on one port, as a school with PostgreSQL runs it.

Which process answers a connection is the kernel's choice; the tests find out (the socket's
owner in /proc) and hold one connection to each worker, so that they can say "this request went
to that process". The rate limit counts in the database: one count for every process. The header
timeout and TLS are set in each worker, not only in the first.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.protocol import PROTOCOL_VERSION, ClockReading, Heartbeat, encode
from sync.server import accounts
from sync.server.db import engine_for, migrate
from tests.sync.postgres import Cluster
from tests.sync.processes import BIN
from tests.sync.tls import make_certificates

WORKERS = 2
PATIENCE = 10.0  # seconds a test waits for the server to close a connection, at most


@pytest.fixture
def pg_url(pg_cluster: Cluster, pg_template: str, request: pytest.FixtureRequest) -> str:
    return pg_cluster.create_database(f"workers_{request.node.name[:40]}", pg_template)


class Workers:
    """A running `kiosk-server serve --workers N`."""

    def __init__(self, process: subprocess.Popen[str], port: int, tls: ssl.SSLContext | None):
        self.process, self.port, self.tls = process, port, tls

    def connect(self) -> http.client.HTTPConnection:
        if self.tls is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=30)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def worker_of(self, sock: socket.socket) -> int:
        """The pid of the worker process holding the other end of ``sock``."""
        inode = _server_inode(self.port, sock.getsockname()[1])
        for pid in _children(self.process.pid):
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except FileNotFoundError:
                continue
            for fd in fds:
                try:
                    if str(fd.readlink()) == f"socket:[{inode}]":
                        return pid
                except FileNotFoundError:
                    continue
        raise AssertionError(f"no worker of {self.process.pid} holds connection {inode}")

    def one_connection_per_worker(self) -> list[http.client.HTTPConnection]:
        """A kept-alive connection to each worker (new connections until each has one)."""
        held: dict[int, http.client.HTTPConnection] = {}
        for _ in range(400):
            conn = self.connect()
            conn.request("GET", "/v1/health")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            assert conn.sock is not None
            pid = self.worker_of(conn.sock)
            if pid in held:
                conn.close()
            else:
                held[pid] = conn
            if len(held) == WORKERS:
                return list(held.values())
        raise AssertionError(f"400 connections all went to the processes {sorted(held)}")


@contextmanager
def serving(url: str, *options: str, tls: ssl.SSLContext | None = None) -> Iterator[Workers]:
    argv = [str(BIN / "kiosk-server"), "serve", "--db", url, "--port", "0",
            "--workers", str(WORKERS), *options]  # fmt: skip
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    try:
        assert f"in {WORKERS} processes" in line, line + process.stderr.read()
        yield Workers(process, int(line.split()[2].rsplit(":", 1)[1]), tls)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert not _children(process.pid), "the workers end with the server"


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _server_inode(server_port: int, client_port: int) -> str:
    """The inode of the server's end of the loopback connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and (
            int(remote.split(":")[1], 16) == client_port
        ):
            return fields[9]
    raise AssertionError(f"no connection from port {client_port} in /proc/net/tcp")


def _heartbeat(conn: http.client.HTTPConnection, kiosk: str, token: str) -> int:
    body = encode(
        Heartbeat(
            protocol=PROTOCOL_VERSION, kiosk_id=kiosk, version="test", events_waiting=0,
            last_sync=None, scanners=[],
            clock=ClockReading(wall=datetime.now(UTC).isoformat(), mono=1.0, boot_id="b",
                               synced=True),
        )
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request("POST", "/v1/heartbeat", body=body, headers=headers)
    answer = conn.getresponse()
    answer.read()
    return answer.status


def _add_kiosk(url: str, name: str) -> str:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            return accounts.add_kiosk(conn, name, datetime.now(UTC))
    finally:
        engine.dispose()


def test_the_rate_limit_counts_once_for_every_worker(pg_url: str) -> None:
    with serving(pg_url, "--rate-limit", "10") as server:
        first, second = server.one_connection_per_worker()
        assert server.worker_of(first.sock) != server.worker_of(second.sock)  # type: ignore[arg-type]
        # The limit counts in windows of a minute: a burst that happened to straddle the turn of
        # a minute is counted in two windows, so it is sent again for another kiosk.
        for attempt in range(3):
            kiosk = f"door-{attempt}"
            token = _add_kiosk(pg_url, kiosk)
            minute = int(time.time()) // 60
            answers = [_heartbeat(conn, kiosk, token) for conn in [first, second] * 10]
            if int(time.time()) // 60 == minute:
                break
        # Each process alone would have let its own 10 through: 20 answers of 200.
        assert answers == [200] * 10 + [429] * 10
        for conn in (first, second):
            conn.close()


def test_every_worker_closes_a_connection_whose_headers_never_come(pg_url: str) -> None:
    with serving(pg_url, "--header-timeout", "0.5") as server:
        for conn in server.one_connection_per_worker():
            assert conn.sock is not None
            conn.sock.sendall(b"GET /v1/health HTTP/1.1\r\nHo")  # never finished
            conn.sock.settimeout(PATIENCE)
            began = time.monotonic()
            try:
                while conn.sock.recv(65536):
                    pass
            except TimeoutError:
                pytest.fail(f"a worker kept the connection open for {PATIENCE} s")
            except ConnectionResetError:
                pass
            assert time.monotonic() - began < PATIENCE
            conn.close()


def test_every_worker_answers_over_tls(pg_url: str, tmp_path: Path) -> None:
    certs = make_certificates(tmp_path / "tls")
    context = ssl.create_default_context(cafile=str(certs.ca))
    options = ("--tls-cert", str(certs.cert), "--tls-key", str(certs.key))
    with serving(pg_url, *options, tls=context) as server:
        for conn in server.one_connection_per_worker():
            assert isinstance(conn.sock, ssl.SSLSocket)
            conn.request("GET", "/v1/health")
            answer = conn.getresponse()
            assert answer.status == 200
            assert answer.getheader("Strict-Transport-Security", "").startswith("max-age=")
            answer.read()
            conn.close()


def test_the_server_refuses_more_workers_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = engine_for(url)
    migrate(engine)
    engine.dispose()
    done = subprocess.run(
        [str(BIN / "kiosk-server"), "serve", "--db", url, "--port", "0", "--workers", "2"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("kiosk-server: --workers 2 needs a postgresql:// database")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["0", "65", "-1"])
def test_a_number_of_workers_that_cannot_be_meant_is_refused(tmp_path: Path, workers: str) -> None:
    done = subprocess.run(
        [str(BIN / "kiosk-server"), "serve", "--db", f"sqlite:///{tmp_path / 's.db'}",
         "--workers", workers],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("kiosk-server: --workers: expected a number of processes")
