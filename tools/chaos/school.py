"""The simulated school on this machine: the real server (SQLite or PostgreSQL), three kiosks
each with its own SQLite file, clock, fault proxy and sync worker, set up as an IT teacher would
(`kiosk-server import`, `add-kiosk`, `kiosk init`, a first `kiosk sync once`), and every way
the simulation starts, kills, backs up and restores them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tests.sync.processes import BIN, server_command
from tools.chaos.crowd import DOORS
from tools.chaos.processes import (
    TRACEBACK,
    ChaosProxy,
    ChaosServer,
    CrashableCluster,
    Worker,
    environment,
)
from tools.chaos.rtc import PiClock
from tools.chaos.timeline import TrueTime, moved_policy

SAMPLE = Path(__file__).resolve().parents[2] / "kiosk" / "sample"
PG_DATABASE = "chaos"
# The worker's settings in the simulation: a sync every second, a short back-off, timeouts a
# delayed answer overruns, and small batches so a push is several requests.
WORKER_SETTINGS = """[sync]
interval = 1
max_backoff = 2
connect_timeout = 1
read_timeout = 2
batch_events = 5
"""


class SetupError(RuntimeError):
    """The school could not be set up: nothing was simulated."""


@dataclass
class Door:
    name: str
    folder: Path
    clock: PiClock
    proxy: ChaosProxy
    worker: Worker

    @property
    def db(self) -> Path:
        return self.folder / "kiosk.db"

    @property
    def token(self) -> Path:
        return self.folder / "token"

    @property
    def env(self) -> dict[str, str]:
        return environment(self.clock.path)


def _checked(done: subprocess.CompletedProcess[str], what: str) -> str:
    if done.returncode != 0:
        raise SetupError(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class School:
    def __init__(
        self,
        folder: Path,
        database: str,
        truth: TrueTime,
        days: list[date],
        boot_id: Callable[[], str],
    ) -> None:
        self.folder = folder
        self.truth = truth
        self.cluster: CrashableCluster | None = None
        self.server: ChaosServer | None = None
        self.doors: dict[str, Door] = {}
        try:
            self._set_up(database, days, boot_id)
        except BaseException:
            with contextlib.suppress(Exception):  # what failed is the error to show
                self.close()
            raise

    def _set_up(self, database: str, days: list[date], boot_id: Callable[[], str]) -> None:
        folder, truth = self.folder, self.truth
        if database == "postgresql":
            # Durable (fsync, synchronous commits): a crash must lose nothing the server answered.
            self.cluster = CrashableCluster(durable=True)
            self.cluster.start()
            self.url = self.cluster.create_database(PG_DATABASE)
        else:
            self.url = f"sqlite:///{folder / 'server.db'}"
        self.database_up = True
        self.notes: list[str] = []  # what had to be done that the plan did not say
        self.database_down: list[tuple[float, float]] = []  # (from, to), time.monotonic()
        self._down_since = 0.0
        policy = folder / "policy.toml"
        policy.write_text(
            moved_policy((SAMPLE / "policy.toml").read_text(encoding="utf-8"), days),
            encoding="utf-8",
        )
        self.policy = policy
        _checked(server_command("migrate", "--db", self.url), "kiosk-server migrate")
        for kind, path in (
            ("policy", policy),
            ("roster", SAMPLE / "roster.csv"),
            ("catalog", SAMPLE / "catalog.csv"),
        ):
            _checked(server_command("import", kind, path, "--db", self.url), f"import {kind}")
        self.server_lines: list[tuple[float, str]] = []  # every server's stderr, timed
        # The server's clock is right: the true time (see tools.chaos.server).
        self.server_clock = PiClock(folder / "server-clock.json", truth, "server")
        self.server = self._server()
        self.port = self.server.port
        for name in DOORS:
            self.doors[name] = self._door(name, boot_id())

    def _door(self, name: str, boot_id: str) -> Door:
        folder = self.folder / name
        folder.mkdir()
        token = _checked(server_command("add-kiosk", name, "--db", self.url), "add-kiosk")
        (folder / "token").write_text(token, encoding="utf-8")
        (folder / "kiosk.toml").write_text(WORKER_SETTINGS, encoding="utf-8")
        clock = PiClock(folder / "clock.json", self.truth, boot_id)
        proxy = ChaosProxy(self.port)
        argv = [
            "sync",
            "run",
            "--config",
            str(folder / "kiosk.toml"),
            "--db",
            str(folder / "kiosk.db"),
            "--server",
            proxy.url,
            "--token-file",
            str(folder / "token"),
        ]
        door = Door(
            name, folder, clock, proxy, Worker(argv, environment(clock.path), folder / "worker.log")
        )
        _checked(self.kiosk(door, "init", "--db", door.db, "--kiosk-id", name), "kiosk init")
        # The first sync brings the roster, catalogue and rules down, as when a kiosk is paired.
        _checked(self.sync_once(door, direct=True), f"{name}'s first sync")
        return door

    # -- commands ---------------------------------------------------------------------------

    def kiosk(
        self, door: Door, *argv: str | Path, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "kiosk"), *(str(a) for a in argv)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=door.env,
        )

    def sync_once(self, door: Door, *, direct: bool = False) -> subprocess.CompletedProcess[str]:
        """`kiosk sync once`, through the door's proxy or straight to the server."""
        server = f"http://127.0.0.1:{self.port}" if direct else door.proxy.url
        return self.kiosk(
            door,
            "sync",
            "once",
            "--config",
            door.folder / "kiosk.toml",
            "--db",
            door.db,
            "--server",
            server,
            "--token-file",
            door.token,
        )

    def scan(
        self, door: Door, codes: tuple[str, ...], kill_after: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None, str, bool]:
        """`kiosk scan --json` of one visit: (lines shown, exit status, stderr, killed).

        With ``kill_after``, SIGKILL once that many lines were shown (mid-visit)."""
        process = subprocess.Popen(
            [str(BIN / "kiosk"), "scan", "--db", str(door.db), "--json", *codes],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=door.env,
        )
        assert process.stdout is not None
        lines: list[str] = []
        killed = False
        if kill_after is not None:
            for line in process.stdout:
                lines.append(line)
                if len(lines) >= kill_after:
                    process.kill()
                    killed = True
                    break
        try:
            rest, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            rest, err = process.communicate()
            err += "\nchaos: `kiosk scan` did not finish in 120 s (killed)"
        lines += rest.splitlines()
        shown = []
        for line in lines:
            try:
                shown.append(json.loads(line))
            except ValueError:
                err += f"\nchaos: not a JSON line: {line!r}"
        return shown, process.returncode, err, killed

    # -- the server and its database -------------------------------------------------------

    def start_server(self) -> bool:
        """Start the server on its port again; False while its database is down."""
        if self.server is not None:
            return True
        if not self.database_up:
            return False
        try:
            self.server = self._server(self.port)
        except RuntimeError as exc:
            if "kiosk-server migrate" not in str(exc):
                raise
            # A backup from before an upgrade (or the checkout moved on under a long run):
            # what the runbook says, migrate, then serve.
            _checked(server_command("migrate", "--db", self.url), "kiosk-server migrate")
            self.notes.append(f"the server's database needed `kiosk-server migrate`: {exc}")
            self.server = self._server(self.port)
        return True

    def _server(self, port: int = 0) -> ChaosServer:
        return ChaosServer(
            self.url,
            self.server_clock.path,
            self.folder / "server.log",
            self.server_lines,
            port=port,
        )

    def kill_server(self) -> bool:
        if self.server is None:
            return False
        self.server.kill()
        self.server = None
        return True

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def crash_database(self) -> bool:
        if self.cluster is None or not self.database_up:
            return False
        self.cluster.crash()
        self.database_up = False
        self._down_since = time.monotonic()
        return True

    def start_database(self) -> None:
        if self.cluster is not None and not self.database_up:
            self.cluster.restart()
            self.database_up = True
            self.database_down.append((self._down_since, time.monotonic()))

    def server_errors(self) -> tuple[int, int]:
        """Tracebacks the server logged: (while its database was up, while it was down)."""
        up = down = 0
        for at, line in list(self.server_lines):
            if TRACEBACK not in line:
                continue
            if any(start - 1 <= at <= end + 5 for start, end in self.database_down):
                down += 1
            else:
                up += 1
        return up, down

    # -- workers ----------------------------------------------------------------------------

    def start_worker(self, door: Door) -> None:
        if not door.worker.alive:
            door.worker.start()

    def kill_worker(self, door: Door) -> bool:
        if not door.worker.alive:
            return False
        door.worker.kill()
        return True

    # -- backups and restores --------------------------------------------------------------

    def backup_kiosk(self, door: Door) -> Path:
        """A copy of the kiosk's file made with SQLite's backup API while it runs."""
        backup = door.folder / "backup.db"
        source, target = sqlite3.connect(door.db), sqlite3.connect(backup)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return backup

    def restore_kiosk(self, door: Door, backup: Path) -> None:
        """The SD card is replaced and the backup written to it (the worker is stopped)."""
        for suffix in ("", "-wal", "-shm"):
            door.db.with_name(door.db.name + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, door.db)

    def backup_server(self) -> None:
        """Last night's backup: `pg_dump -Fc`, or a copy of the SQLite file with the server
        stopped."""
        if self.cluster is not None:
            self.cluster.dump(PG_DATABASE, self.folder / "server.dump")
            return
        self.stop_server()
        for suffix in ("", "-wal"):
            source = self.folder / f"server.db{suffix}"
            if source.exists():
                shutil.copyfile(source, self.folder / f"server-backup.db{suffix}")
        self.start_server()

    def restore_server(self) -> None:
        """The server's database restored from that backup (the server stopped meanwhile)."""
        self.stop_server()
        if self.cluster is not None:
            self.cluster.restore(PG_DATABASE, self.folder / "server.dump")
        else:
            for suffix in ("", "-wal", "-shm"):
                (self.folder / f"server.db{suffix}").unlink(missing_ok=True)
            for suffix in ("", "-wal"):
                backup = self.folder / f"server-backup.db{suffix}"
                if backup.exists():
                    shutil.copyfile(backup, self.folder / f"server.db{suffix}")
        self.start_server()

    def close(self) -> None:
        for door in self.doors.values():
            door.worker.kill()
            door.proxy.close()
        self.stop_server()
        if self.cluster is not None:
            self.cluster.stop()
