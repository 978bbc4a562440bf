"""The store's side of sync, for the sync worker: the outbox, applying pulls, retention.

One object on the Store (``store.sync``) so that the worker's use of the file is in one place
and the door's code is untouched by it. Each method is one short write transaction at most.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from kiosk.core.journal import RecordedEvent
from kiosk.core.moments import Reading
from kiosk.store import _checkpoint, _forks, _outbox, _pulled, _retention, _sync_health
from kiosk.store._db import guarded
from kiosk.store._forks import Note
from kiosk.store._journal import Journal
from kiosk.store._lock import SyncLock
from kiosk.store._outbox import Acknowledgement, SyncStatus
from kiosk.store._pulled import Arrival, Cursor, PulledPage
from kiosk.store._sync_health import SyncHealth, SyncProblem
from kiosk.store._time import now_iso

# The screen's state travels to the server beside the scanners' (the heartbeat's `scanners`,
# which every server version takes), under a name no scanner can have: a scanner's name starts
# with a letter or a digit (kiosk.config). The Today page shows it on a line of its own.
SCREEN = "@screen"


class SyncTables:
    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        journal: Journal,
        transaction: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._conn = conn
        self.path = path
        self._journal = journal
        self._transaction = transaction

    def lock(self) -> SyncLock:
        """The lock one sync of this file holds at a time (see SyncLock); not yet taken."""
        return SyncLock(self.path)

    @guarded
    def unsent(self, limit: int) -> list[RecordedEvent]:
        """The oldest events the server has not answered yet, at most ``limit``, in order."""
        return _outbox.unsent(self._conn, self._journal, limit)

    def acknowledge(self, answers: Sequence[Acknowledgement]) -> None:
        """The server's answers to the last batch, in one transaction."""
        with self._transaction():
            _outbox.acknowledge(self._conn, answers)

    @guarded
    def journals(self) -> list[tuple[int, int]]:
        """(number, first sequence number) of each journal this file's events follow."""
        return _forks.path(self._conn)

    @guarded
    def last_seq(self) -> int:
        """The newest event's sequence number (0 before the first)."""
        return _forks.last_seq(self._conn)

    def fork(self, from_seq: int, *, above: int, server_held: int) -> int:
        """The server holds other events under this file's numbers from ``from_seq`` on (it was
        restored from an older backup): begin a new journal there; its number (_forks.py)."""
        with self._transaction():
            return _forks.fork(self._conn, from_seq, above, server_held)

    def rewind(self, server_has: int) -> tuple[int, int] | None:
        """The server holds this kiosk's events only up to ``server_has`` (it was restored from
        a backup): the range to send again, if any (_forks.py)."""
        with self._transaction():
            return _forks.rewind(self._conn, server_has)

    @guarded
    def lost(self) -> list[tuple[int, int]]:
        """Ranges of events gone for good (deleted here, lost by a restored server)."""
        return _forks.lost(self._conn)

    @guarded
    def notes(self) -> list[Note]:
        """What sync found out about forks and a server that lost events, oldest first."""
        return _forks.notes(self._conn)

    @guarded
    def status(self) -> SyncStatus:
        return _outbox.status(self._conn)

    @guarded
    def cursor(self) -> Cursor | None:
        """Where the next pull starts; None before the first one."""
        # cursor_reference: the school-data cursor, named as protocol v1 names it (m003_sync).
        pulled, school_data, loans, want_snapshot = self._conn.execute(
            "SELECT pulled, cursor_reference, cursor_loans, want_snapshot FROM sync_state "
            "WHERE id = 1"
        ).fetchone()
        # Asked for once after an upgrade: the loans pulled before stay in use until it lands.
        return Cursor(int(school_data), int(loans)) if pulled and not want_snapshot else None

    def apply_pull(self, page: PulledPage) -> None:
        """One page of a pull and its cursor, in one transaction."""
        with self._transaction():
            _pulled.apply(self._conn, page)

    @guarded
    def new_arrivals(self) -> list[Arrival]:
        """The server's new-arrivals list, for the idle screen."""
        return _pulled.new_arrivals(self._conn)

    def retire(self, before: datetime) -> int:
        """Delete acknowledged events older than ``before`` (retention); how many."""
        return _retention.retire(self._conn, self._journal, self._transaction, before)

    @guarded
    def chain_start(self) -> tuple[int, str]:
        """(sequence, hash) the kept journal's chain starts from."""
        return _checkpoint.chain_start(self._conn)

    def set_scanner_state(self, name: str, state: str) -> None:
        """What the app says of one scanner ("ok", "disconnected", ...), for the heartbeat."""
        with self._transaction():
            self._conn.execute(
                "INSERT INTO scanner_status (name, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at",
                (name[:64], state[:64], now_iso()),
            )

    def keep_scanners(self, names: Sequence[str]) -> None:
        """Forget the states of scanners this kiosk no longer has (renamed or removed in
        kiosk.toml): the Today page would show them for ever. The screen's is kept."""
        kept = [*names, SCREEN]
        with self._transaction():
            marks = ", ".join("?" * len(kept))
            self._conn.execute(f"DELETE FROM scanner_status WHERE name NOT IN ({marks})", kept)

    def set_screen_state(self, state: str) -> None:
        """What the app found of its screen at its start ("ok", "no_display": none connected,
        "no_window": one is, but no window opens on it), for `kiosk doctor` and the heartbeat."""
        self.set_scanner_state(SCREEN, state)

    @guarded
    def screen_state(self) -> tuple[str, datetime] | None:
        """The screen's state and since when; None before the app first started."""
        row = self._conn.execute(
            "SELECT state, updated_at FROM scanner_status WHERE name = ?", (SCREEN,)
        ).fetchone()
        return None if row is None else (str(row[0]), datetime.fromisoformat(str(row[1])))

    @guarded
    def scanner_states(self) -> list[tuple[str, str]]:
        rows = self._conn.execute("SELECT name, state FROM scanner_status ORDER BY name LIMIT 16")
        return [(str(n), str(s)) for n, s in rows]

    @guarded
    def checkpoint_wal(self) -> None:
        """Copy the WAL into the database file after a sync (waits for nobody)."""
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def record_attempt(
        self,
        at: datetime,
        *,
        succeeded: bool,
        kind: SyncProblem | None = None,
        problem: str | None = None,
    ) -> None:
        """How a sync went (for `kiosk doctor`, the admin screen and the next heartbeat)."""
        with self._transaction():
            _sync_health.record_attempt(
                self._conn, at, succeeded=succeeded, kind=kind, problem=problem
            )

    def record_server_clock(self, server: datetime, local: Reading) -> None:
        """The server's time at its answer, with this kiosk's clocks at that moment."""
        with self._transaction():
            _sync_health.record_server_clock(self._conn, server, local)

    @guarded
    def health(self) -> SyncHealth:
        return _sync_health.health(self._conn)
