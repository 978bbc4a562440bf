"""Fixtures for sync: the server's database on SQLite and on a real PostgreSQL, a real HTTP
server on 127.0.0.1, and kiosks of the test school whose journals are written by the real door.

Every server test that takes ``server_url`` runs twice, once per database. The PostgreSQL
cluster is started once per test session (as the ``postgres`` user, in a temporary folder, on
loopback); each test gets a fresh database copied from a migrated template.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from sqlalchemy import Engine

from kiosk.clocks import ScriptedClock
from kiosk.core.journal import RecordedEvent
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.store import Store
from sync.protocol import (
    CONTENT_TYPE,
    PROTOCOL_VERSION,
    ClockReading,
    PullResponse,
    PushRequest,
    PushResponse,
    encode,
    parse,
    wire_event,
)
from sync.server import accounts
from sync.server.app import create_app
from sync.server.db import engine_for, migrate
from sync.server.ratelimit import RateLimit
from tests.conftest import COPIES, EXAMPLES, READERS, example_policy, local
from tests.sync.postgres import Cluster

_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    engine = engine_for(pg_cluster.create_database("kiosk_template"))
    migrate(engine)
    engine.dispose()
    return "kiosk_template"


@pytest.fixture(params=["sqlite", "postgresql"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty server database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
        engine = engine_for(url)
        migrate(engine)
        engine.dispose()
        return url
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    template: str = request.getfixturevalue("pg_template")
    return cluster.create_database(f"test_{next(_names)}", template)


@pytest.fixture
def engine(server_url: str) -> Iterator[Engine]:
    engine = engine_for(server_url)
    yield engine
    engine.dispose()


class ServerClock:
    """The server's clock in tests: starts at a Monday lunchtime, moves when told."""

    def __init__(self) -> None:
        self.now = local("2026-11-23 12:30").astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class LiveServer:
    """The FastAPI app served by uvicorn on a real loopback socket, in a thread."""

    url: str
    engine: Engine
    clock: ServerClock
    tokens: dict[str, str] = field(default_factory=dict)

    def add_kiosk(self, name: str) -> str:
        with self.engine.begin() as conn:
            self.tokens[name] = accounts.add_kiosk(conn, name, self.clock())
        return self.tokens[name]

    def post(
        self,
        path: str,
        body: Any,
        *,
        kiosk: str | None = None,
        token: str | None = None,
        content_type: str = CONTENT_TYPE,
    ) -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        token = token if token is not None else self.tokens.get(kiosk or "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(self.url + path, data=data, headers=headers, timeout=(5, 30))

    def push(self, kiosk: str, recorded: list[RecordedEvent], **kw: Any) -> PushResponse:
        answer = self.post(
            "/v1/push", json.loads(encode(push_request(kiosk, recorded, **kw))), kiosk=kiosk
        )
        assert answer.status_code == 200, answer.text
        return parse(PushResponse, answer.content)

    def pull(self, kiosk: str, cursor: dict[str, int] | None = None) -> PullResponse:
        body = {"protocol": PROTOCOL_VERSION, "kiosk_id": kiosk, "cursor": cursor}
        answer = self.post("/v1/pull", body, kiosk=kiosk)
        assert answer.status_code == 200, answer.text
        return parse(PullResponse, answer.content)


def serve_in_thread(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as `kiosk-server serve` does
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)  # connections wait in the backlog until uvicorn accepts: no polling needed
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@pytest.fixture
def live(engine: Engine) -> Iterator[LiveServer]:
    clock = ServerClock()
    app = create_app(engine, rate_limit=RateLimit(limit=1000), clock=clock)
    url, server, thread = serve_in_thread(app)
    yield LiveServer(url, engine, clock)
    server.should_exit = True
    thread.join(10)


def push_request(
    kiosk: str,
    recorded: list[RecordedEvent],
    *,
    boot_id: str = "scripted",
    mono: float | None = None,
) -> PushRequest:
    last = recorded[-1].stamp if recorded else None
    sent = ClockReading(
        wall=(last.wall if last else datetime.now(UTC)).isoformat(),
        mono=mono if mono is not None else (last.mono + 1 if last else 0.0),
        boot_id=boot_id,
        synced=True,
    )
    return PushRequest(
        protocol=PROTOCOL_VERSION,
        kiosk_id=kiosk,
        sent=sent,
        events=[wire_event(e) for e in recorded],
    )


@dataclass
class Kiosk:
    """A kiosk of the test school: a real store and door, and a clock the test moves."""

    store: Store
    clock: ScriptedClock
    door: Door

    @property
    def id(self) -> str:
        return self.store.kiosk_id

    def scan(self, *codes: str) -> None:
        for code in codes:
            self.clock.advance(1)
            if code == "@done":
                self.door.press(Button.DONE)
            else:
                self.door.scan(code)

    def borrow(self, card: str, *barcodes: str) -> None:
        self.scan(card, *barcodes, "@done")
        self.clock.advance(10)  # past the double-read window

    def events(self, after: int = 0) -> list[RecordedEvent]:
        return list(self.store.events(after))


def make_kiosk(
    path: Path,
    kiosk_id: str,
    start: str = "2026-11-23 12:15",
    *,
    synced: bool = True,
    boot_id: str = "scripted",
) -> Kiosk:
    store = Store.create(path, kiosk_id)
    store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
    store.import_readers(READERS)
    store.import_copies(COPIES)
    clock = ScriptedClock(local(start), synced=synced, boot_id=boot_id)
    return Kiosk(store, clock, Door(store, clock, policy=example_policy()))


@pytest.fixture
def kiosks(tmp_path: Path) -> Iterator[dict[str, Kiosk]]:
    """door-a and door-b of the test school, each on its own SQLite file."""
    made = {name: make_kiosk(tmp_path / f"{name}.db", name) for name in ("door-a", "door-b")}
    yield made
    for k in made.values():
        k.store.close()
