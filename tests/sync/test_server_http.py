"""What an untrusted client gets from the server over real HTTP: a clear refusal, never a
traceback, and nothing half-stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from sync.protocol import MAX_BODY_BYTES, MAX_PUSH_EVENTS, encode
from sync.server.app import create_app
from sync.server.db import reading
from sync.server.ratelimit import RateLimit
from sync.server.tables import events
from tests.sync.conftest import Kiosk, LiveServer, ServerClock, push_request, serve_in_thread


def _stored(live: LiveServer) -> int:
    with reading(live.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def _body(kiosk: Kiosk) -> dict[str, object]:
    kiosk.borrow("S31", "B1")
    return json.loads(encode(push_request(kiosk.id, kiosk.events())))  # type: ignore[no-any-return]


def test_no_token_a_wrong_one_and_a_revoked_one_are_refused(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    token = live.add_kiosk(a.id)
    body = _body(a)
    assert live.post("/v1/push", body).status_code == 401
    assert live.post("/v1/push", body, token="kst_not-a-token").status_code == 401
    from sync.server import accounts

    with live.engine.begin() as conn:
        accounts.revoke_kiosk(conn, a.id, live.clock())
    answer = live.post("/v1/push", body, token=token)
    assert answer.status_code == 401 and "revoked" in answer.json()["message"]
    assert _stored(live) == 0


def test_a_kiosk_may_push_only_its_own_events(live: LiveServer, kiosks: dict[str, Kiosk]) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    live.add_kiosk(a.id)
    live.add_kiosk(b.id)
    body = _body(a)
    answer = live.post("/v1/push", body, kiosk=b.id)  # door B's token, door A's events
    assert answer.status_code == 403 and answer.json()["field"] == "kiosk_id"
    body["kiosk_id"] = b.id  # the envelope lies, the events still say door-a
    assert live.post("/v1/push", body, kiosk=b.id).status_code == 403
    assert _stored(live) == 0


def test_too_large_wrong_type_and_malformed_bodies(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    body = _body(a)
    assert live.post("/v1/push", b"x" * (MAX_BODY_BYTES + 1), kiosk=a.id).status_code == 413
    answer = live.post("/v1/push", body, kiosk=a.id, content_type="text/plain")
    assert answer.status_code == 415
    answer = live.post("/v1/push", b"{not json", kiosk=a.id)
    assert answer.status_code == 400 and "JSON" in answer.json()["message"]
    wrong = json.loads(json.dumps(body))
    wrong["events"][1]["seq"] = "2"  # a string where a number belongs
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.status_code == 400 and answer.json()["field"] == "events.1.seq"
    wrong = json.loads(json.dumps(body))
    del wrong["events"][0]["hash"]
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.json()["field"] == "events.0.hash" and "required" in answer.json()["message"]
    wrong = json.loads(json.dumps(body))
    wrong["events"] = wrong["events"] * (MAX_PUSH_EVENTS // len(wrong["events"]) + 1)
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.status_code in (400, 413)
    wrong = {**body, "protocol": 2}
    answer = live.post("/v1/push", wrong, kiosk=a.id)
    assert answer.status_code == 400 and answer.json()["field"] == "protocol"
    assert _stored(live) == 0
    assert "Traceback" not in answer.text


def test_a_kiosk_sending_too_often_is_told_when_to_come_back(
    engine: object, kiosks: dict[str, Kiosk]
) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    clock = ServerClock()
    url, server, thread = serve_in_thread(
        create_app(engine, rate_limit=RateLimit(limit=3, window=60), clock=clock)
    )
    try:
        live = LiveServer(url, engine, clock)
        a = kiosks["door-a"]
        live.add_kiosk(a.id)
        pull = {"protocol": 1, "kiosk_id": a.id, "cursor": None}
        assert [live.post("/v1/pull", pull, kiosk=a.id).status_code for _ in range(3)] == [200] * 3
        refused = live.post("/v1/pull", pull, kiosk=a.id)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        clock.advance(60)  # the next window
        assert live.post("/v1/pull", pull, kiosk=a.id).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)


def test_health_needs_no_token(live: LiveServer) -> None:
    import requests

    answer = requests.get(live.url + "/v1/health", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"protocol": 1, "ok": True}


def test_many_kiosks_pushing_at_once_are_each_stored_once(
    live: LiveServer, tmp_path: object
) -> None:
    """Pushes that arrive together share one transaction (group commit); each gets its own
    answer and each event is stored once."""
    import concurrent.futures
    from pathlib import Path

    from tests.sync.conftest import make_kiosk

    doors = [make_kiosk(Path(str(tmp_path)) / f"d{n}.db", f"door-{n}") for n in range(12)]
    try:
        for d in doors:
            live.add_kiosk(d.id)
            d.borrow("T1", f"B{1 + doors.index(d) % 5}")
        journals = {d.id: d.events() for d in doors}  # a Store is used by its own thread only
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda name: live.push(name, journals[name]), journals))
        for journal, answer in zip(journals.values(), answers, strict=True):
            assert answer.acked_through == len(journal)
            assert {r.status.value for r in answer.results} == {"accepted"}
        assert _stored(live) == sum(len(j) for j in journals.values())
    finally:
        for d in doors:
            d.store.close()
