"""Group commit: pushes that arrive while another is being stored wait and go in together.

With many kiosks at once every push would otherwise pay its own commit (an fsync) and its own
fold of the loans, one after another. Here the first push to arrive stores itself and whatever
queued up behind it, in one transaction (sync.server.ingest.store_together); each push still
gets its own answer, after that commit. Nothing is kept here once answered: several server
processes each have their own queue and the database keeps them right.
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


class PushQueue:
    def __init__(self, engine: Engine, limit: RateLimit | None = None) -> None:
        self._engine = engine
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: list[tuple[Push, Future[PushResponse]]] = []
        self._storing = False

    def store(self, push: Push) -> PushResponse:
        """Store ``push`` (with whatever else is waiting); its answer, or RateLimited."""
        answer: Future[PushResponse] = Future()
        with self._lock:
            self._waiting.append((push, answer))
            leading = not self._storing
            self._storing = True
        if leading:
            self._store_waiting()
        return answer.result()

    def _store_waiting(self) -> None:
        while True:
            with self._lock:
                group = self._take()
                if not group:
                    self._storing = False
                    return
            try:
                outcomes = ingest.store_together(self._engine, [p for p, _ in group], self._limit)
            except BaseException as exc:  # the whole transaction failed: tell every push why
                for _, answer in group:
                    answer.set_exception(exc)
                if not isinstance(exc, Exception):
                    with self._lock:
                        self._storing = False
                    raise
                continue
            for (_, answer), outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, Exception):  # over its limit, or it alone failed
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)

    def _take(self) -> list[tuple[Push, Future[PushResponse]]]:
        group: list[tuple[Push, Future[PushResponse]]] = []
        events = 0
        while self._waiting and (
            not group or events + len(self._waiting[0][0].request.events) <= MAX_GROUP_EVENTS
        ):
            item = self._waiting.pop(0)
            group.append(item)
            events += len(item[0].request.events)
        return group
