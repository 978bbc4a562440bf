"""The door's own thread: one queue in (scanner output, taps, ticks), screens out.

The store refuses calls from other threads, and the UI thread must never wait on SQLite (the
sync worker may hold the write lock for seconds), so the Store, the Door and the FrontDesk all
live here. Answers (the facts of a screen) go back through ``deliver``, which the app points at
the Kivy clock. When
the database cannot be used the thread shows the fault screen and tries again every
``screens.fault_retry_seconds`` until it can.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hardware import ScannerProblem, ScannerReady
from kiosk.clocks import Clock
from kiosk.config import KioskConfig
from kiosk.core.models import Reader
from kiosk.desk.facts import FaultFacts
from kiosk.desk.front_desk import FrontDesk, KioskMismatchError
from kiosk.desk.inputs import Exit, Item, Tick, Update
from kiosk.desk.scanners import Scanners
from kiosk.store import Store, StoreError

logger = logging.getLogger(__name__)

Deliver = Callable[[Update | Exit], None]


class _Stop:
    pass


class DoorThread:
    def __init__(
        self,
        config: KioskConfig,
        clock: Clock,
        scanner_names: Sequence[str],
        deliver: Deliver,
        *,
        tick_seconds: float | None = 0.25,
        machine: Callable[[], bool] = lambda: False,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.config, self.clock, self._deliver = config, clock, deliver
        # Kept across a database that fails and comes back: a scanner unplugged meanwhile is
        # still out when the desk opens again.
        self.scanners = Scanners(scanner_names)
        self._tick_seconds = tick_seconds  # None: only explicit Tick items (the scripted mode)
        self._machine, self._new_id = machine, new_id
        self._queue: queue.SimpleQueue[Item | _Stop] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="door", daemon=True)
        self._lock = threading.Lock()
        self.submitted = 0
        self.answered = 0
        # time.monotonic() when the oldest unanswered input came: how long a child has been
        # waiting, in real time whatever the kiosk's clock says (the scripted mode's is not).
        self.waiting_since: float | None = None
        self.desk: FrontDesk | None = None  # touch only from the door thread (or after join)
        self._retry_at = float("-inf")

    # -- any thread ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, item: Item) -> None:
        with self._lock:
            self.submitted += 1
            if self.waiting_since is None:
                self.waiting_since = time.monotonic()
        self._queue.put(item)

    def stop(self, timeout: float = 10.0) -> bool:
        """Close an open session (shutdown), close the store; True once the thread has ended."""
        self._queue.put(_Stop())
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def reader(self, card: str) -> Reader | None:
        """The roster's reader with ``card``; on the door's thread only, as the store is (the
        voice asks whose answer it is about to speak, for voice.grades)."""
        if self.desk is None:
            return None
        try:
            return self.desk.store.library.reader(card)
        except StoreError:
            return None  # the next scan shows the fault; the voice speaks to nobody known

    @property
    def idle(self) -> bool:
        """Everything submitted has been answered (the scripted mode waits for this)."""
        with self._lock:
            return self.submitted == self.answered

    # -- the door's thread -----------------------------------------------------------------

    def _run(self) -> None:
        self._open()
        while True:
            try:
                item = self._queue.get(timeout=self._tick_seconds)
            except queue.Empty:
                item = Tick()
                counted = False
            else:
                counted = True
            if isinstance(item, _Stop):
                break
            try:
                self._handle(item)
            finally:
                if counted:
                    self._answered()
        self._close()

    def _answered(self) -> None:
        with self._lock:
            self.answered += 1
            more = self.submitted != self.answered
            self.waiting_since = time.monotonic() if more else None

    def _handle(self, item: Item) -> None:
        if self.desk is None:
            if isinstance(item, Tick) and self.clock.read().mono >= self._retry_at:
                self._open()
            elif isinstance(item, ScannerProblem):
                self.scanners.lost(item)  # the desk shows it when the database is back
            elif isinstance(item, ScannerReady):
                self.scanners.back(item.source)
            return
        try:
            result = self.desk.handle(item)
        except StoreError as exc:
            logger.error("the database failed: %s", exc)
            self._fault(str(exc))
            return
        if result is not None:
            self._deliver(result)

    def _open(self) -> None:
        store: Store | None = None
        try:
            store = Store(Path(self.config.database))
            self.desk = FrontDesk(
                store,
                self.clock,
                self.config,
                self.scanners,
                machine=self._machine,
                **({"new_id": self._new_id} if self._new_id else {}),
            )
        except (StoreError, KioskMismatchError) as exc:
            if store is not None:
                store.close()
            logger.error("cannot use the database: %s", exc)
            self._fault(str(exc))
            return
        logger.info("door open on %s", self.config.database)
        self._deliver(Update(self.desk.shown))

    def _fault(self, detail: str) -> None:
        if self.desk is not None:
            try:
                self.desk.store.close()
            except Exception:  # closing a broken file must not hide why it broke
                logger.exception("closing the store failed")
            self.desk = None
        self._retry_at = self.clock.read().mono + self.config.screens.fault_retry_seconds
        facts = FaultFacts(self.scanners.faults(), detail, self.config.language)
        self._deliver(Update(facts, "attention"))

    def _close(self) -> None:
        if self.desk is None:
            return
        try:
            self.desk.close()
        except StoreError as exc:
            logger.error("could not close the session on the way out: %s", exc)
        self.desk.store.close()
