"""One sync of a kiosk file at a time: wait for the sync that is running, then take a turn.

The service's worker (`kiosk sync run`) and an admin's `kiosk sync once` may start together;
each takes the file's sync lock (kiosk.store's SyncLock) around one whole sync, so they sync in
turn, never at once. ``sleep`` is injected (the tests pass their own; `run` passes its stop
event's wait, so a stop request ends the wait too).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.store import Store, SyncLock
from sync.worker.client import SyncError

POLL_SECONDS = 1.0  # how often a waiting sync looks again; a sync takes seconds


class SyncBusy(SyncError):  # noqa: N818 (a state, like the client's errors)
    """Another sync of this file kept running for longer than this one would wait."""


def take_turn(
    store: Store,
    *,
    sleep: Callable[[float], bool],
    patience: float | None,
    say: Callable[[str], None],
) -> SyncLock | None:
    """The sync lock, held; None if ``sleep`` said stop while waiting for it.

    Says once whom it waits for. Raises SyncBusy after ``patience`` seconds (None: no limit).
    """
    lock = store.sync.lock()
    waited = 0.0
    told = False
    while not lock.try_acquire():
        holder = lock.holder()
        who = f"pid {holder}" if holder is not None else "another process"
        if patience is not None and waited >= patience:
            raise SyncBusy(
                f"another sync of kiosk {store.kiosk_id} ({who}) is still running; "
                "try again when it is done"
            )
        if not told:
            say(
                f"another sync of kiosk {store.kiosk_id} is running ({who}): "
                "waiting for it to finish"
            )
            told = True
        if not sleep(POLL_SECONDS):
            return None
        waited += POLL_SECONDS
    return lock
