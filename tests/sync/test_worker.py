"""The worker's parts on their own: the protocol's round trip, kiosk.toml's [sync] table,
back-off, and the `kiosk sync run` loop against a real server on loopback."""

from __future__ import annotations

import random
import socket
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load
from kiosk.core.journal import record
from sync import protocol
from sync.protocol import ProtocolError, PushRequest, WireEvent, hash_matches, wire_event
from sync.settings import Settings, SettingsError, from_table, resolve
from sync.worker.backoff import Backoff
from sync.worker.client import ServerRefused, ServerUnavailable, SyncClient, pull
from sync.worker.loop import run
from tests.sync.conftest import Kiosk, LiveServer, push_request


def test_every_event_survives_the_wire_and_its_hash_still_verifies(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    k.clock.advance(60)
    k.scan("B1", "@damaged", "nobody-knows-this")
    for e in k.events():
        wire = protocol.parse(WireEvent, wire_event(e).model_dump_json())
        assert protocol.recorded_event(wire) == e and hash_matches(wire)
        edited = wire.model_copy(update={"card": "S99"})
        assert not hash_matches(edited)


def test_journal_format_1_events_still_travel(kiosks: dict[str, Kiosk]) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    e = k.events()[0]
    old = record(e.seq, e.id, e.kiosk_id, e.event, e.stamp, e.prev_hash, journal_format=1)
    wire = wire_event(old)
    assert wire.clock_source == "system" and hash_matches(wire)
    forged = wire.model_copy(update={"seq": 99})
    assert not hash_matches(forged)


def test_a_message_that_is_not_protocol_v1_names_its_field(kiosks: dict[str, Kiosk]) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    body = push_request(k.id, k.events()).model_dump(mode="json")
    body["events"][2]["clock_source"] = None
    with pytest.raises(ProtocolError) as caught:
        protocol.parse(PushRequest, protocol.json_bytes(body))
    assert caught.value.field == "events.2.clock_source"
    body["events"][2]["clock_source"] = "system"
    body["events"][0]["mono_time"] = float("nan")
    with pytest.raises(ProtocolError) as caught:
        protocol.parse(PushRequest, protocol.json_bytes(body))
    assert caught.value.field == "events.0.mono_time"


def test_kiosk_toml_sync_keys_are_checked_one_by_one(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    token = tmp_path / "door.token"
    token.write_text("kst_abc\n")
    config.write_text(
        '[kiosk]\ndatabase = "kiosk.db"\nid = "door-1"\n\n[sync]\n'
        'server = "https://lib.school:8443/"\n'
        'token_file = "door.token"\ninterval = 30\nretention_days = 60\nbatch_events = 100\n'
    )
    # Read as `kiosk run` reads it (kiosk/config.py, over the shipped defaults).
    settings = load(config).sync
    assert settings.db == tmp_path / "kiosk.db" and settings.kiosk_id == "door-1"
    assert settings.server == "https://lib.school:8443" and settings.token() == "kst_abc"
    assert (settings.interval, settings.retention_days, settings.batch_events) == (30, 60, 100)
    overridden = resolve(settings, db=Path("/x.db"), server="http://127.0.0.1:9")
    assert overridden.db == Path("/x.db") and overridden.server == "http://127.0.0.1:9"
    for bad, named in (
        ({"interval": "often"}, "[sync] interval"),
        ({"batch_events": 5000}, "[sync] batch_events"),
        ({"verify": False}, "[sync] verify: not a sync setting"),
        ({"server": "http://library.school:80"}, "not encrypted"),
        ({"server": "ftp://x"}, "[sync] server"),
    ):
        with pytest.raises(SettingsError, match=named.replace("[", r"\[").replace("]", r"\]")):
            from_table(bad, tmp_path)
    config.write_text("[sync\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(config)
    assert from_table({"server": ""}, tmp_path).server is None  # not paired yet
    with pytest.raises(SettingsError, match="token_file"):
        Settings(db=Path("k.db"), server="https://x", token_file=tmp_path / "none").complete()


def test_backoff_grows_with_full_jitter_and_honours_retry_after() -> None:
    backoff = Backoff(base=2, cap=60, rng=random.Random(8))
    waits = [backoff.failed() for _ in range(10)]
    ceilings = [min(60, 2 * 2**n) for n in range(10)]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert max(waits[6:]) > 8  # it did grow
    assert backoff.failed(retry_after=120) >= 120
    backoff.succeeded()
    assert backoff.failed() <= 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_run_loop_backs_off_while_the_server_is_down_then_syncs(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    k = kiosks["door-a"]
    token = live.add_kiosk(k.id)
    k.borrow("S31", "B1")
    settings = Settings(interval=60, max_backoff=300)
    down = SyncClient(f"http://127.0.0.1:{_free_port()}", token, read_timeout=5)
    waits: list[float] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        return True

    run(k.store, down, settings, k.clock, sleep=sleep, rng=random.Random(1), cycles=4)
    assert len(waits) == 4 and all(w <= min(300, 2 * 2**n) for n, w in enumerate(waits))
    assert k.store.sync.status().events_waiting == 3  # nothing lost meanwhile
    up = SyncClient(live.url, token)
    waits.clear()
    run(k.store, up, settings, k.clock, sleep=sleep, cycles=1)
    assert waits == [60] and k.store.sync.status().events_waiting == 0
    refused = SyncClient(live.url, "kst_wrong")
    waits.clear()
    run(k.store, refused, settings, k.clock, sleep=lambda s: waits.append(s) is None and False)
    assert waits == [300]  # a person must fix the token: the longest wait, then stop asked
    with pytest.raises(ServerRefused, match="401"):
        pull(refused, protocol.PullRequest(protocol=1, kiosk_id=k.id, cursor=None))
    with pytest.raises(ServerUnavailable):
        pull(down, protocol.PullRequest(protocol=1, kiosk_id=k.id, cursor=None))
