"""`kiosk sync run`: sync, wait, sync again, for as long as the kiosk runs.

After a good sync it waits ``interval``; after a failure it backs off (full jitter, honouring
``Retry-After``) up to ``max_backoff``. A refusal a person must fix (a revoked token, a
certificate that does not verify) is logged each time and retried at the longest wait, so a
fixed setting is picked up without a restart. ``sleep`` is injected: tests pass their own.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from kiosk.clocks import Clock
from kiosk.store import Store, StoreError
from sync.settings import Settings
from sync.worker.backoff import Backoff
from sync.worker.client import ServerRefused, ServerUnavailable, SyncClient
from sync.worker.cycle import OutboxMoved, sync_once
from sync.worker.turn import take_turn

log = logging.getLogger("kiosk.sync")


def run(
    store: Store,
    client: SyncClient,
    settings: Settings,
    clock: Clock,
    *,
    sleep: Callable[[float], bool],
    rng: random.Random | None = None,
    cycles: int | None = None,
) -> None:
    """Sync until ``sleep`` returns False (asked to stop) or ``cycles`` syncs were tried."""
    backoff = Backoff(cap=settings.max_backoff, rng=rng or random.Random())
    done = 0
    while cycles is None or done < cycles:
        done += 1
        # Another sync of this file (an admin's `kiosk sync once`) goes first: wait for it.
        lock = take_turn(store, sleep=sleep, patience=None, say=log.warning)
        if lock is None:
            return
        try:
            report = sync_once(store, client, settings, clock)
        except ServerRefused as exc:
            log.error("%s", exc)
            wait = settings.max_backoff
        except (ServerUnavailable, OutboxMoved, StoreError) as exc:
            wait = backoff.failed(getattr(exc, "retry_after", None))
            log.warning("sync failed, next try in %.0f s: %s", wait, exc)
        else:
            backoff.succeeded()
            log.info("sync done: %s", report)
            wait = settings.interval
        finally:
            lock.release()
        if not sleep(wait):
            return
