"""The door: one place where a scan becomes a decision committed to the journal.

It joins the pure session engine to the store and a clock. Each input is handled in one
``BEGIN IMMEDIATE`` transaction: the engine reads the library, decides, and its events and the
loan changes they cause are committed together before anyone is told the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.clocks import Clock
from kiosk.core.decisions import Decision, Reason
from kiosk.core.journal import RecordedEvent, Stamp
from kiosk.core.modes import DoorMode
from kiosk.core.moments import Instant, believed_wall
from kiosk.core.policy import Policy
from kiosk.core.policy_file import parse_policy
from kiosk.core.session import (
    Button,
    Context,
    DeviceRole,
    Input,
    Press,
    Scan,
    SessionState,
    Step,
    Tick,
    Touch,
    dangling_session_end,
    end_session,
    session_expired,
    step,
)
from kiosk.store import Store

# With nobody at the door, the WAL is checkpointed at most this often.
CHECKPOINT_SECONDS = 10.0


@dataclass(frozen=True)
class Handled:
    decision: Decision | None
    ended: Decision | None
    recorded: tuple[RecordedEvent, ...]


class Door:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        policy: Policy | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy if policy is not None else store.policy()
        self.state = SessionState()
        self._ctx = Context(self.policy, store.library, new_id)
        store.lock_door()
        # What the door runs on now; a policy the sync worker saves later is taken up in tick.
        self._policy_source = store.policy_source()
        # Checkpoints run while nobody is at the door (see tick), never inside a child's scan.
        store.defer_checkpoints()
        self._last_checkpoint = float("-inf")
        self._close_dangling_session()

    # ``mono`` is when the input happened on the clock's monotonic scale (a ScanEvent's time, a
    # touch's time). Timers (double reads, idle, damage) count from it, not from the moment the
    # door got round to it: a scan made at 19.9 s of an idle session and dequeued at 20.1 s is
    # still in that session. None means "now".

    def scan(
        self, text: str, role: DeviceRole = DeviceRole.ANY, *, mono: float | None = None
    ) -> Handled:
        return self._handle(lambda at: Scan(text, at, role), mono)

    def press(
        self, button: Button, *, mono: float | None = None, barcode: str | None = None
    ) -> Handled:
        """A button on the screen; ``barcode`` names the loan a renew button stands beside."""
        return self._handle(lambda at: Press(button, at, barcode), mono)

    def touch(self, *, mono: float | None = None) -> Handled:
        """A touch on the screen: the child is still there (restarts the idle countdown)."""
        if self.state.session is None:
            return Handled(None, None, ())
        return self._handle(lambda at: Touch(at), mono)

    def tick(self) -> Handled:
        """Let time pass: ends an idle session; with nobody at the door, tidies the WAL.

        Called often by the screen's timer, so it opens a transaction only when a session has
        really timed out.
        """
        now = self.clock.read().mono
        if self.state.session is not None:
            if not session_expired(self.state, now, self.policy):
                return Handled(None, None, ())
            return self._handle(lambda at: Tick(at))
        self._take_up_new_policy()
        if now - self._last_checkpoint >= CHECKPOINT_SECONDS:
            self.store.checkpoint()
            self._last_checkpoint = now
        return Handled(None, None, ())

    @property
    def mode(self) -> DoorMode:
        return self._ctx.mode

    def set_mode(self, mode: DoorMode) -> None:
        """What the door is open for from the next input on (a librarian's or helper's choice;
        the engine refuses by it and journals the refusals)."""
        self._ctx = replace(self._ctx, mode=mode)

    def close(self, reason: Reason = Reason.SHUTDOWN) -> Handled:
        """End an open session on the way out (the kiosk stopping, `kiosk scan` finishing)."""
        handled = self._commit(lambda at: end_session(self.state, reason, at))
        self.store.checkpoint()
        return handled

    def _take_up_new_policy(self) -> None:
        """A policy the sync worker saved since is used from now on: only between sessions,
        never in the middle of a child's. (The roster and catalogue are read at every scan.)"""
        source = self.store.policy_source()
        if source is None or source == self._policy_source:
            return
        self.policy = parse_policy(source)  # the worker saved it only after it parsed
        self._ctx = replace(self._ctx, policy=self.policy)
        self._policy_source = source

    def _handle(self, make: Callable[[Instant], Input], mono: float | None = None) -> Handled:
        return self._commit(lambda at: step(self.state, make(at), self._ctx), mono)

    def _commit(self, decide: Callable[[Instant], Step], mono: float | None = None) -> Handled:
        reading = self.clock.read()
        with self.store.transaction():
            # Read inside the transaction: nothing can be recorded between this and our write.
            store = self.store
            wall = believed_wall(
                reading, store.last_reading(), store.trusted_reading(), store.server_clock()
            )
            # The journal keeps the commit's own reading; only the engine's timers use ``mono``.
            at = Instant(wall, reading.mono if mono is None else min(mono, reading.mono))
            result = decide(at)
            stamp = Stamp(
                wall, reading.wall, reading.mono, reading.boot_id, reading.synced, reading.source
            )
            recorded = tuple(self.store.append(e, stamp) for e in result.events)
        # Only a committed step moves the engine on: a failed write leaves it where it was.
        self.state = result.state
        return Handled(result.decision, result.ended, recorded)

    def _close_dangling_session(self) -> None:
        """A session the journal shows open is one a crash or power cut interrupted."""
        dangling = self.store.open_session()
        if dangling is None:
            return
        session_id, card = dangling
        self._commit(
            lambda _at: Step(self.state, None, events=(dangling_session_end(session_id, card),))
        )
