"""The server under fire: a real `kiosk-server serve` on 127.0.0.1 over the sample school, on
SQLite or on a real PostgreSQL cluster (the test harness's, tests/sync), with its log read as
it is written and a way to start it again from the same school for a reproduction.

The school: the sample roster, catalogue and rules; kiosks door-1 (a real kiosk's journal,
synced through the real sync worker), door-2 and door-3 (whose journals the fuzzer writes)
and door-old (revoked); a librarian and the class teacher of 3-1.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, MetaData, Table, inspect, select

from kiosk.clocks import ScriptedClock
from kiosk.core.session import Button
from kiosk.door import Door
from kiosk.imports import read_catalog, read_policy, read_policy_source, read_roster
from kiosk.store import Store
from sync.server import accounts, school_data
from sync.server.db import engine_for, migrate
from sync.server.web import staff
from sync.settings import Settings
from sync.worker.client import SyncClient
from sync.worker.cycle import sync_once
from tests.sync.postgres import Cluster
from tests.sync.processes import ServerProcess
from tools.fuzz.door import borrowing_moments
from tools.fuzz.texts import SAMPLE

PASSWORD = "fuzz: correct horse battery"  # noqa: S105  # of a throwaway database
LIBRARIAN, TEACHER, TEACHER_CLASS = "wang", "li", "3-1"
FUZZ_KIOSKS = ("door-2", "door-3")
REVOKED = "door-old"
# The tables a refused request must leave alone, and the columns of them that requests may
# touch without doing anything (when a kiosk was last seen, its last heartbeat).
WATCHED = (
    "events",
    "loans",
    "readers",
    "copies",
    "policy",
    "review_items",
    "copy_marks",
    "copy_relabels",
    "new_arrivals",
    "staff",
    "kiosks",
)
VOLATILE = {"kiosks": {"last_seen_at", "last_heartbeat", "last_heartbeat_at"}}
_databases = itertools.count()

Snapshot = dict[str, frozenset[tuple[object, ...]]]


@dataclass
class School:
    """What the fuzzer knows of the school on the server: tokens and codes to aim at."""

    tokens: dict[str, str] = field(default_factory=dict)  # kiosk -> bearer token
    cards: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)


class Log:
    """A process's output, read on a thread as it comes (a full pipe would stop the server)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.lines: list[str] = []
        self._grew = threading.Condition()
        if stream is not None:
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._grew:
                self.lines.append(line)
                self._grew.notify_all()

    def mark(self) -> int:
        with self._grew:
            return len(self.lines)

    def since(self, mark: int, *, wait: float = 0.0) -> str:
        """What was written after ``mark``; waits up to ``wait`` seconds for a first line (a
        traceback is written before the answer is sent, but read here on another thread)."""
        with self._grew:
            if wait and len(self.lines) <= mark:
                self._grew.wait_for(lambda: len(self.lines) > mark, timeout=wait)
            return "".join(self.lines[mark:])


class FuzzServer:
    def __init__(self, database: str, folder: Path, cluster: Cluster | None = None) -> None:
        self.database = database
        self.folder = folder
        self.cluster = cluster
        self.url = ""
        self.baseline = ""  # the school as prepared: a file, or a template database
        self.school = School()
        self.process: ServerProcess | None = None
        self.log = Log(None)
        self._engine: Engine | None = None
        self._tables: dict[str, Table] = {}

    # --- the school -------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """The school's database, a lunchtime synced from door-1, kept as the baseline."""
        self.url = self._new_database()
        engine = engine_for(self.url)
        migrate(engine)
        roster, catalog = read_roster(SAMPLE / "roster.csv"), read_catalog(SAMPLE / "catalog.csv")
        made = now - timedelta(days=60)
        with engine.begin() as conn:
            school_data.save_policy(conn, read_policy_source(SAMPLE / "policy.toml"), made)
            school_data.import_readers(conn, roster.items, made, deactivate_missing=True)
            school_data.import_copies(conn, catalog.items, made, deactivate_missing=True)
            for name in ("door-1", *FUZZ_KIOSKS, REVOKED):
                self.school.tokens[name] = accounts.add_kiosk(conn, name, made)
            accounts.revoke_kiosk(conn, REVOKED, made)
            staff.add(conn, LIBRARIAN, staff.Role.LIBRARIAN, PASSWORD, made)
            staff.add(conn, TEACHER, staff.Role.TEACHER, PASSWORD, made, class_name=TEACHER_CLASS)
        engine.dispose()
        self.school.cards = [r.card for r in roster.items]
        self.school.barcodes = [c.barcode for c in catalog.items]
        self.start()
        try:
            self._lunchtime_at_door_1(now)
        finally:
            self.stop()
        self.baseline = self._keep_baseline()

    def _lunchtime_at_door_1(self, now: datetime) -> None:
        """A real kiosk's visits (loans, a return, refusals, a damage report), synced."""
        path = self.folder / "door-1.db"
        store = Store.create(path, "door-1")
        try:
            store.save_policy(read_policy_source(SAMPLE / "policy.toml"))
            store.import_readers(read_roster(SAMPLE / "roster.csv").items)
            store.import_copies(read_catalog(SAMPLE / "catalog.csv").items)
            moments = [m for m in borrowing_moments(read_policy(SAMPLE / "policy.toml")) if m < now]
            clock = ScriptedClock(moments[-1] if moments else now, boot_id="fuzz-door-1")
            door = Door(store, clock)
            for code in ("202430101", "0001002", "@done", "T0001", "0001010", "0001011", "@done",
                         "0001002", "@damaged", "999999999", "' OR 1=1 --", "0001031"):  # fmt: skip
                clock.advance(5)
                if code.startswith("@"):
                    door.press(Button(code[1:]))
                else:
                    door.scan(code)
            door.close()
            client = SyncClient(self.address, self.school.tokens["door-1"])
            sync_once(store, client, Settings(), clock)
        finally:
            store.close()

    def _new_database(self) -> str:
        if self.database == "sqlite":
            return f"sqlite:///{self.folder / f'server-{next(_databases)}.db'}"
        assert self.cluster is not None
        return self.cluster.create_database(f"fuzz_{next(_databases)}")

    def _keep_baseline(self) -> str:
        if self.database == "sqlite":
            copy = self.folder / "baseline.db"
            source = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            target = sqlite3.connect(copy)
            try:
                source.backup(target)  # the online backup API: a consistent copy
            finally:
                source.close()
                target.close()
            return str(copy)
        assert self.cluster is not None
        name = f"fuzz_baseline_{next(_databases)}"
        self.cluster.create_database(name, self.url.rsplit("/", 1)[1])
        return name

    def reset_to_baseline(self) -> None:
        """A new database holding the school as prepared (for a reproduction)."""
        self.dispose()
        if self.database == "sqlite":
            self.url = f"sqlite:///{self.folder / f'server-{next(_databases)}.db'}"
            shutil.copy(self.baseline, self.url.removeprefix("sqlite:///"))
        else:
            assert self.cluster is not None
            self.url = self.cluster.create_database(f"fuzz_{next(_databases)}", self.baseline)

    # --- the process --------------------------------------------------------------------------

    @property
    def address(self) -> str:
        assert self.process is not None
        return self.process.url

    def start(self) -> None:
        self.process = ServerProcess(self.url, rate_limit=100_000)
        self.log = Log(self.process.process.stderr)
        Log(self.process.process.stdout)  # drained, never read

    def alive(self) -> bool:
        return self.process is not None and self.process.process.poll() is None

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.process.poll()

    def stop(self) -> None:
        if self.process is not None:
            process = self.process.process
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except Exception:
                    process.kill()
                    process.wait(timeout=30)
            self.process = None

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- what it holds ------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = engine_for(self.url)
            self._tables = {}
        return self._engine

    def _watched(self) -> dict[str, Table]:
        """The watched tables as the database has them (a later migration may add columns)."""
        if not self._tables:
            meta = MetaData()
            present = set(inspect(self.engine).get_table_names())
            self._tables = {
                name: Table(name, meta, autoload_with=self.engine)
                for name in WATCHED
                if name in present
            }
        return self._tables

    def snapshot(self) -> Snapshot:
        """The watched tables, row by row (the volatile columns left out)."""
        out: Snapshot = {}
        tables = self._watched()
        with self.engine.connect() as conn:
            for name, table in tables.items():
                skip = VOLATILE.get(name, set())
                columns = [c for c in table.columns if c.name not in skip]
                rows = conn.execute(select(*columns)).all()
                out[name] = frozenset(tuple(row) for row in rows)
        return out

    def review_ids(self) -> list[int]:
        table = self._watched()["review_items"]
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(select(table.c.id)).all()]


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Each watched table that changed, with a row that came or went."""
    out = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, frozenset()), after.get(name, frozenset())
        if old == new:
            continue
        came, went = sorted(map(repr, new - old)), sorted(map(repr, old - new))
        example = f"+ {came[0][:300]}" if came else f"- {went[0][:300]}"
        out.append(f"{name}: {len(came)} rows came, {len(went)} went; {example}")
    return out
