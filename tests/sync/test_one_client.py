"""`kiosk doctor` and the sync worker reach the school's server through one client
(kiosk/server_client.py) and call each failure by the same word; the client keeps a connection
while the server does, and opens a new one when the server has closed it."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.health.probes import ask_server
from kiosk.protocol_v1 import WHOAMI_PATH
from kiosk.server_client import ServerFailure, ServerRefused, ServerUnavailable, SyncClient
from sync import protocol
from sync.worker.client import pull
from tests.sync.conftest import LiveServer

WAIT = 10.0  # seconds a test waits for the test server's thread before it fails


def _pull_as(client: SyncClient) -> None:
    pull(client, protocol.PullRequest(protocol=1, kiosk_id="door-a", cursor=None))


def test_a_refused_token_is_token_refused_for_doctor_and_for_the_worker(
    live: LiveServer,
) -> None:
    live.add_kiosk("door-a")
    assert ask_server(live.url, live.tokens["door-a"], None).failure is None
    doctor = ask_server(live.url, "kst_stolen", None)
    with SyncClient(live.url, "kst_stolen") as client, pytest.raises(ServerRefused) as worker:
        _pull_as(client)
    assert doctor.failure is worker.value.failure is ServerFailure.TOKEN_REFUSED
    assert doctor.status == worker.value.status == 401
    assert "the server refused (401)" in str(worker.value)


def test_a_server_that_is_not_there_is_unreachable_for_doctor_and_for_the_worker() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    doctor = ask_server(url, "kst_any", None)
    with SyncClient(url, "kst_any") as client, pytest.raises(ServerUnavailable) as worker:
        _pull_as(client)
    assert doctor.failure is worker.value.failure is ServerFailure.UNREACHABLE
    assert doctor.detail == worker.value.detail == "connection refused"


class _Server(http.server.ThreadingHTTPServer):
    """Answers every request with 503 and Retry-After, or 200 and ``{}``; counts connections
    and, with ``close_after``, closes each one after its answer without saying so."""

    daemon_threads = True

    def __init__(self, status: int, close_after: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status, self.close_after = status, close_after
        self.connections = 0
        self.closed = threading.Semaphore(0)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closed.release()  # the connection is closed on the server's side now


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, unless the test's server closes it
    server: _Server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"error": "busy", "message": "later"}).encode()
        self.send_response(self.server.status)
        if self.server.status == 503:
            self.send_header("Retry-After", "30")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.server.close_after

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[_Server] = []

    def start(status: int = 200, *, close_after: bool = False) -> _Server:
        server = _Server(status, close_after)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def _url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_an_overloaded_server_is_busy_with_the_time_it_asks_for(serve: Any) -> None:
    server = serve(503)
    with SyncClient(_url(server), "kst_any") as client, pytest.raises(ServerUnavailable) as caught:
        client.post(WHOAMI_PATH, b"{}")
    assert (caught.value.failure, caught.value.status, caught.value.retry_after) == (
        ServerFailure.BUSY,
        503,
        30.0,
    )


def test_one_connection_serves_the_requests_while_the_server_keeps_it(serve: Any) -> None:
    server = serve()
    with SyncClient(_url(server), "kst_any") as client:
        assert client.post(WHOAMI_PATH, b"{}") == b'{"error": "busy", "message": "later"}'
        client.post(WHOAMI_PATH, b"{}")
    assert server.connections == 1


def test_a_connection_the_server_closed_meanwhile_is_opened_again(serve: Any) -> None:
    server = serve(close_after=True)
    with SyncClient(_url(server), "kst_any") as client:
        client.post(WHOAMI_PATH, b"{}")
        assert server.closed.acquire(timeout=WAIT)  # an idle connection the server let go
        client.post(WHOAMI_PATH, b"{}")  # not a failure: the client sees it and reconnects
    assert server.connections == 2
