"""What the real `kiosk-server serve` does at the connection, as a browser or an attacker meets
it: HSTS under TLS and never over plain HTTP; a connection whose request headers never finish is
closed after `--header-timeout` seconds (a short one here, so nothing waits long); the systemd
unit gives the server room for many connections."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.server.db import engine_for, migrate
from tests.conftest import REPO
from tests.sync.processes import BIN, ServerProcess
from tests.sync.tls import make_certificates

HEADER_TIMEOUT = 0.5  # seconds: what the server is told
PATIENCE = 10.0  # seconds the test waits for the server to close, at most


@pytest.fixture
def server_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = engine_for(url)
    migrate(engine)
    engine.dispose()
    return url


def test_answers_over_tls_tell_browsers_to_stay_on_https(server_db: str, tmp_path: Path) -> None:
    certs = make_certificates(tmp_path / "tls")
    server = ServerProcess(server_db, tls=(certs.cert, certs.key))
    try:
        with requests.Session() as s:
            s.trust_env = False
            s.verify = str(certs.ca)
            s.headers["Connection"] = "close"
            for path in ("/signin", "/v1/health", "/no-such-page"):
                answer = s.get(server.url + path, timeout=30)
                hsts = answer.headers.get("Strict-Transport-Security", "")
                assert hsts.startswith("max-age="), path
                assert int(hsts.removeprefix("max-age=")) >= 180 * 86400, path
    finally:
        server.stop()


def test_answers_over_plain_http_carry_no_hsts(server_db: str) -> None:
    server = ServerProcess(server_db)
    try:
        with requests.Session() as s:
            s.trust_env = False
            answer = s.get(server.url + "/signin", timeout=30)
            assert answer.status_code == 200
            assert "Strict-Transport-Security" not in answer.headers
    finally:
        server.stop()


@pytest.fixture
def impatient_server(server_db: str) -> Iterator[int]:
    """`kiosk-server serve --header-timeout 0.5`; yields its port."""
    process = subprocess.Popen(
        [str(BIN / "kiosk-server"), "serve", "--db", server_db, "--port", "0",
         "--header-timeout", str(HEADER_TIMEOUT)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    try:
        assert "serving" in line, line + process.stderr.read()
        yield int(line.split()[2].rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _closed_by_server(sock: socket.socket) -> float:
    """Seconds until the server closes ``sock`` (reading whatever it answered first)."""
    sock.settimeout(PATIENCE)
    began = time.monotonic()
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {PATIENCE} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - began


def test_a_connection_that_sends_nothing_is_closed(impatient_server: int) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server)) as sock:
        assert _closed_by_server(sock) < PATIENCE


def test_a_request_whose_headers_never_finish_is_closed(impatient_server: int) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        assert _closed_by_server(sock) < PATIENCE


def test_a_kept_alive_connection_that_starts_a_request_and_stalls_is_closed(
    impatient_server: int,
) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHo")  # the next request, never finished
        assert _closed_by_server(sock) < PATIENCE


def test_headers_sent_in_pieces_within_the_time_are_answered(impatient_server: int) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server)) as sock:
        for piece in (
            b"GET /v1/health HT",
            b"TP/1.1\r\nHost: 127",
            b".0.0.1\r\nConnection: close\r\n\r\n",
        ):
            sock.sendall(piece)
        sock.settimeout(PATIENCE)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")


def test_the_server_unit_lets_it_hold_many_connections() -> None:
    unit = (REPO / "systemd" / "library-server.service").read_text().splitlines()
    limits = [line.split("=", 1)[1] for line in unit if line.startswith("LimitNOFILE=")]
    assert len(limits) == 1, "the unit sets LimitNOFILE once"
    assert int(limits[0].split(":")[0]) >= 8192  # soft limit: systemd's own default is 1024


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "86400"])
def test_a_header_timeout_that_cannot_be_meant_is_refused(server_db: str, seconds: str) -> None:
    done = subprocess.run(
        [str(BIN / "kiosk-server"), "serve", "--db", server_db, "--header-timeout", seconds],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("kiosk-server: --header-timeout: expected seconds above 0")
