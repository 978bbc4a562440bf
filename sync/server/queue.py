"""Group commit: pushes that arrive while another is being stored wait and go in together.

With many kiosks at once every push would otherwise pay its own commit (an fsync) and its own
fold of the loans, one after another. Here the first push to arrive stores itself and whatever
queued up behind it, in one transaction (sync.server.ingest.store_together); each push still
gets its own answer, after that commit. The thread that stored a group then hands the storing
of the next to a push waiting in it, and answers its own kiosk at once. Nothing is kept here
once answered: several server processes each have their own queue and the database keeps them
right.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from sqlalchemy import Engine

from sync.protocol import PushResponse
from sync.server import ingest
from sync.server.ingest import Push
from sync.server.ratelimit import RateLimit

MAX_GROUP_EVENTS = 5000  # keeps one group's transaction short


class _Waiting:
    """A push in the queue: its answer, and a wake-up for its thread (answered, or to lead)."""

    def __init__(self, push: Push) -> None:
        self.push = push
        self.answer: Future[PushResponse] = Future()
        self.turn = threading.Event()


class PushQueue:
    def __init__(self, engine: Engine, limit: RateLimit | None = None) -> None:
        self._engine = engine
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._storing = False

    def store(self, push: Push) -> PushResponse:
        """Store ``push`` (with whatever else is waiting); its answer, or RateLimited."""
        mine = _Waiting(push)
        with self._lock:
            self._waiting.append(mine)
            leading = not self._storing
            self._storing = True
        if not leading:
            mine.turn.wait()  # answered, or handed the lead
        if not mine.answer.done():
            self._lead(mine)
        return mine.answer.result()

    def _lead(self, mine: _Waiting) -> None:
        """Store groups until ``mine`` is answered, then hand the lead to the next push in the
        queue: a push's answer waits for its own group, never for those that came after it."""
        try:
            while not mine.answer.done():
                with self._lock:
                    group = self._take()
                self._store_group(group)
        finally:
            with self._lock:
                if mine in self._waiting:  # this thread is being stopped (KeyboardInterrupt)
                    self._waiting.remove(mine)
                if self._waiting:
                    self._waiting[0].turn.set()  # its thread stores the next group
                else:
                    self._storing = False

    def _store_group(self, group: list[_Waiting]) -> None:
        try:
            outcomes = ingest.store_together(self._engine, [w.push for w in group], self._limit)
        except BaseException as exc:  # the whole transaction failed: tell every push why
            for w in group:
                w.answer.set_exception(exc)
                w.turn.set()
            if not isinstance(exc, Exception):
                raise
            return
        for w, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):  # over its limit, or it alone failed
                w.answer.set_exception(outcome)
            else:
                w.answer.set_result(outcome)
            w.turn.set()

    def _take(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        events = 0
        while self._waiting and (
            not group or events + len(self._waiting[0].push.request.events) <= MAX_GROUP_EVENTS
        ):
            item = self._waiting.pop(0)
            group.append(item)
            events += len(item.push.request.events)
        return group
