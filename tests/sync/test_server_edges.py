"""The edges of the server's surface: a kiosk that loses its network half-way through a push is
noted quietly by the real `kiosk-server serve` (the ordinary event it is, no server error in the
log), and nothing describes the API to someone who has not signed in. On SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import requests
from sqlalchemy import Engine

from sync.server import accounts
from tests.sync.conftest import LiveServer
from tests.sync.processes import ServerProcess


def test_an_upload_cut_off_half_way_logs_no_server_error(server_url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        token = accounts.add_kiosk(conn, "door-a", datetime.now(UTC))
    server = ServerProcess(server_url)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as kiosk:
            kiosk.sendall(
                b"POST /v1/push HTTP/1.1\r\nHost: school\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\n"
                b"Content-Length: 4000\r\nExpect: 100-continue\r\n\r\n"
            )
            # "100 Continue" comes when the server starts reading the body: it is waiting for
            # it, so what follows is a body that stops half-way, not a request never read.
            assert kiosk.recv(100).startswith(b"HTTP/1.1 100 Continue")
            kiosk.sendall(b'{"protocol": 1, "kiosk_id": "door-a", "events": [' + b" " * 1900)
        assert requests.get(server.url + "/v1/health", timeout=30).status_code == 200
    finally:
        log = server.stop()  # after the request in progress is done (uvicorn waits for it)
    assert "Traceback" not in log and "ERROR" not in log and "request failed" not in log, log


def test_the_api_description_is_not_served(live: LiveServer) -> None:
    for path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
        answer = requests.get(live.url + path, timeout=30, allow_redirects=False)
        assert answer.status_code == 404, path
