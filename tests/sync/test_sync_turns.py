"""One sync of a kiosk file at a time: the service's worker and an admin's `kiosk sync once`
take turns; a second one says whom it waits for; nothing crashes with a traceback."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.cli import main
from kiosk.health.kiosk_checks import check_sync
from kiosk.store import Acknowledgement, Store, SyncLock, SyncProblem
from sync.protocol import PUSH_PATH
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import OutboxMoved, sync_once
from sync.worker.loop import run
from tests.sync.conftest import Kiosk, LiveServer


def test_a_second_sync_once_says_whom_it_waits_for_and_gives_up_cleanly(
    kiosks: dict[str, Kiosk], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    token = tmp_path / "token"
    token.write_text("kst_whatever\n")
    running = SyncLock(k.store.path)  # the service's worker, in the middle of a sync
    assert running.try_acquire()
    try:
        # Reached through a symlink: the same file, the same lock.
        link = tmp_path / "link.db"
        link.symlink_to(k.store.path)
        status = main(
            ["sync", "once", "--db", str(link), "--server", "http://127.0.0.1:9",
             "--token-file", str(token), "--wait", "0"]
        )  # fmt: skip
    finally:
        running.release()
    err = capsys.readouterr().err
    assert status == 1
    assert f"another sync of kiosk door-a (pid {os.getpid()}) is still running" in err
    assert "Traceback" not in err
    assert k.store.sync.status().events_waiting == 3  # nothing sent, nothing lost


def test_the_service_worker_waits_for_a_running_sync_then_syncs(
    live: LiveServer, kiosks: dict[str, Kiosk], caplog: pytest.LogCaptureFixture
) -> None:
    k = kiosks["door-a"]
    client = SyncClient(live.url, live.add_kiosk(k.id))
    k.borrow("S31", "B1")
    admin = SyncLock(k.store.path)  # an admin's `kiosk sync once`, still running
    assert admin.try_acquire()
    waits: list[float] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == 2:
            assert k.store.sync.status().events_waiting == 3  # it waited its turn
            admin.release()  # the admin's sync is done
        return True

    with caplog.at_level(logging.WARNING, logger="kiosk.sync"):
        run(k.store, client, Settings(interval=60), k.clock, sleep=sleep, cycles=1)
    assert waits == [1.0, 1.0, 60]
    assert k.store.sync.status().events_waiting == 0
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"another sync of kiosk door-a is running (pid {os.getpid()}): "
                    "waiting for it to finish"]  # fmt: skip
    assert SyncLock(k.store.path).try_acquire()  # and it let go when done


class _Overtaken(SyncClient):
    """The server's answer arrives after another sync of the same file already acknowledged
    the same events (what two workers at once did before the lock)."""

    def __init__(self, url: str, token: str, other: Store) -> None:
        super().__init__(url, token)
        self._other = other

    def post(self, path: str, body: bytes) -> bytes:
        answer = super().post(path, body)
        if path == PUSH_PATH:
            sent = [event["seq"] for event in json.loads(body)["events"]]
            self._other.sync.acknowledge([Acknowledgement(seq, True) for seq in sent])
        return answer


def test_an_outbox_answered_by_another_sync_is_a_clear_failure_not_a_crash(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    with Store(k.store.path) as other:
        client = _Overtaken(live.url, live.add_kiosk(k.id), other)
        with pytest.raises(OutboxMoved, match="another sync of this kiosk answered"):
            sync_once(k.store, client, Settings(), k.clock)
    assert k.store.sync.status().events_waiting == 0
    # `kiosk doctor --config` reads it back: what happened, and that nothing is to be done.
    health = k.store.sync.health()
    assert health.problem_kind is SyncProblem.OVERLAPPED
    configured = SimpleNamespace(sync=Settings(server=live.url))  # check_sync reads only this
    result = check_sync(configured, health)  # type: ignore[arg-type]
    assert (result.reason, result.params["problem"].startswith("another sync")) == (
        "overlapped",
        True,
    )
    # The next sync carries on and finds nothing left to send.
    report = sync_once(k.store, SyncClient(live.url, live.tokens[k.id]), Settings(), k.clock)
    assert (report.pushed, report.duplicates) == (0, 0)
