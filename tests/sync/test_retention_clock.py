"""Retention counts from a time it can trust: a Pi whose unsynchronised clock reads 2099 after a
power cut must not delete every acknowledged event at once."""

from __future__ import annotations

from datetime import timedelta

from kiosk.clocks import ScriptedClock
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.conftest import local
from tests.sync.conftest import Kiosk, LiveServer


def test_an_unsynchronised_clock_in_2099_deletes_nothing(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    k = kiosks["door-a"]
    client = SyncClient(live.url, live.add_kiosk(k.id))
    k.borrow("S31", "B1")
    k.borrow("S32", "B2")
    assert sync_once(k.store, client, Settings(), k.clock).retired == 0
    wrong = ScriptedClock(local("2099-11-23 12:15"), synced=False, boot_id="after-a-power-cut")
    report = sync_once(k.store, client, Settings(), wrong)
    assert report.retired == 0
    assert len(list(k.store.events())) == 6


def test_retention_still_deletes_by_a_synchronised_clock(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    k = kiosks["door-a"]
    client = SyncClient(live.url, live.add_kiosk(k.id))
    k.borrow("S31", "B1")
    k.borrow("S32", "B2")
    sync_once(k.store, client, Settings(), k.clock)
    k.clock.advance(timedelta(days=40).total_seconds())
    assert sync_once(k.store, client, Settings(), k.clock).retired > 0


def test_the_servers_time_heard_this_boot_counts_when_the_clock_is_not_synchronised(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    k = kiosks["door-a"]
    client = SyncClient(live.url, live.add_kiosk(k.id))
    k.borrow("S31", "B1")
    k.borrow("S32", "B2")
    sync_once(k.store, client, Settings(), k.clock)
    live.clock.advance(timedelta(days=40).total_seconds())  # the server says: forty days on
    unsynced = ScriptedClock(local("2026-11-23 13:00"), synced=False, boot_id="same-boot")
    assert sync_once(k.store, client, Settings(), unsynced).retired > 0
