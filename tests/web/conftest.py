"""Fixtures for the librarian's pages: the sample school after six weeks of lunchtimes, on the
server's SQLite and on a real PostgreSQL, served over real HTTP on 127.0.0.1.

The school is built once per test session, as the README's demo builds it (deploy/demo_pages.py):
the sample roster, catalogue and rules on the server; lunchtimes scanned at a real kiosk
(kiosk.store + kiosk.door) on a scripted clock; the kiosk synced by the real sync worker. A
few incidents are scanned on top (a damage report, garbage from a scanner), then each test gets
its own copy of the server's database and of the kiosk's file.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from kiosk.core.session import Button
from kiosk.imports import read_policy
from sync.server.app import create_app
from sync.server.db import engine_for
from sync.server.ratelimit import RateLimit
from sync.server.web import staff
from tests.conftest import REPO, SAMPLE, local
from tests.sync.conftest import ServerClock, pg_cluster, serve_in_thread
from tests.sync.postgres import Cluster


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_pages", REPO / "deploy" / "demo_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_pages"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


demo = _load_demo()

NOW = local("2026-11-23 13:30")  # a Monday, after the 3-1, 3-2 and 4-1 lunchtime
SINCE = date(2026, 10, 12)  # six weeks of lunchtimes before it
PASSWORD = "correct horse 7"
LIBRARIAN, TEACHER = "wang", "li"  # li teaches 3-1
DAMAGED_BOOK = "0001020"  # returned damaged at the Monday lunchtime
GARBAGE = "' OR 1=1 --"  # what a confused scanner sent


@dataclass(frozen=True)
class SchoolFiles:
    folder: Path
    sqlite_db: Path  # the server's database, synced
    kiosk_db: Path  # door-1's file, synced with it
    unsynced_kiosk_db: Path
    tokens: dict[str, str]


def _build_server(url: str, kiosk_db: Path, clock: ServerClock) -> dict[str, str]:
    tokens = demo.prepare_server(url, clock() - timedelta(days=90))
    engine = engine_for(url)
    app = create_app(engine, rate_limit=RateLimit(limit=10_000), clock=clock)
    address, server, thread = serve_in_thread(app)
    kiosk = _reopen(kiosk_db)
    try:
        demo.sync_kiosk(kiosk, address, tokens["door-1"], kiosk.clock)
    finally:
        kiosk.store.close()
        server.should_exit = True
        thread.join(10)
    with engine.begin() as conn:
        made = clock()
        staff.add(conn, LIBRARIAN, staff.Role.LIBRARIAN, PASSWORD, made)
        staff.add(conn, TEACHER, staff.Role.TEACHER, PASSWORD, made, class_name="3-1")
    engine.dispose()
    return tokens


def _reopen(path: Path) -> Any:
    """door-1 again on its file, its clock at NOW (a kiosk that runs on after a sync)."""
    from kiosk.clocks import ScriptedClock
    from kiosk.door import Door
    from kiosk.imports import read_catalog, read_roster
    from kiosk.store import Store

    store = Store(path)
    clock = ScriptedClock(NOW, synced=True, boot_id="demo-boot")
    return demo.Door1(
        path,
        store,
        clock,
        Door(store, clock),
        read_roster(SAMPLE / "roster.csv").items,
        read_catalog(SAMPLE / "catalog.csv").items,
    )


@pytest.fixture(scope="session")
def school_files(tmp_path_factory: pytest.TempPathFactory) -> SchoolFiles:
    folder = tmp_path_factory.mktemp("school")
    policy = read_policy(SAMPLE / "policy.toml")
    start = local(f"{SINCE.isoformat()} 07:00")
    kiosk = demo.open_kiosk(folder / "door-1.db", "door-1", start)
    demo.simulate(kiosk, policy, until=local("2026-11-23 12:00"), since=SINCE)
    kiosk.at(local("2026-11-23 12:20"))
    for barcode in [b for b, card in kiosk.on_loan.items() if card == "202430101"]:
        kiosk.scan(barcode)  # what the pupil still has comes back first
    if DAMAGED_BOOK in kiosk.on_loan:
        kiosk.scan(DAMAGED_BOOK)
    kiosk.clock.advance(10)
    kiosk.scan("202430101")  # borrows it, then brings it back damaged
    kiosk.scan(DAMAGED_BOOK)
    kiosk.press(Button.DONE)
    kiosk.clock.advance(30)
    kiosk.scan(DAMAGED_BOOK)
    kiosk.press(Button.DAMAGED)
    kiosk.scan(GARBAGE)
    kiosk.store.close()
    unsynced = folder / "door-1.unsynced.db"
    shutil.copy(folder / "door-1.db", unsynced)
    clock = ServerClock()
    clock.now = NOW.astimezone(UTC)
    tokens = _build_server(f"sqlite:///{folder / 'server.db'}", folder / "door-1.db", clock)
    return SchoolFiles(folder, folder / "server.db", folder / "door-1.db", unsynced, tokens)


@pytest.fixture(scope="session")
def pg_school(school_files: SchoolFiles, pg_cluster: Cluster) -> str:
    """A PostgreSQL template database holding the same school."""
    url = pg_cluster.create_database("school_template")
    kiosk_db = school_files.folder / "door-1.pg.db"
    shutil.copy(school_files.unsynced_kiosk_db, kiosk_db)
    clock = ServerClock()
    clock.now = NOW.astimezone(UTC)
    _build_server(url, kiosk_db, clock)
    return "school_template"


_names = itertools.count()


@dataclass
class Site:
    """The server with its pages on 127.0.0.1, over a fresh copy of the school."""

    url: str
    db: str
    engine: Engine
    clock: ServerClock
    kiosk_db: Path
    tokens: dict[str, str]
    sessions: list[requests.Session] = field(default_factory=list)

    def session(self) -> requests.Session:
        s = requests.Session()
        s.trust_env = False
        self.sessions.append(s)
        return s

    def sign_in(self, name: str = LIBRARIAN, password: str = PASSWORD) -> requests.Session:
        s = self.session()
        answer = self.try_sign_in(s, name, password)
        assert answer.status_code == 303, answer.text
        return s

    def try_sign_in(
        self, s: requests.Session, name: str, password: str, next_: str = "/"
    ) -> requests.Response:
        form = s.get(self.url + "/signin", timeout=30)
        token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
        assert token is not None
        return s.post(
            self.url + "/signin",
            data={
                "signin_token": token.group(1),
                "name": name,
                "password": password,
                "next": next_,
            },
            allow_redirects=False,
            timeout=30,
        )

    def form_token(self, s: requests.Session, page: str) -> str:
        """The form token of the first form on ``page`` (as a browser would send it)."""
        answer = s.get(self.url + page, timeout=30)
        assert answer.status_code == 200, answer.text
        found = re.search(r'name="form_token" value="([^"]+)"', answer.text)
        assert found is not None, page
        return found.group(1)

    def get(self, s: requests.Session, path: str, **kw: Any) -> requests.Response:
        return s.get(self.url + path, allow_redirects=False, timeout=60, **kw)

    def post(self, s: requests.Session, path: str, **kw: Any) -> requests.Response:
        return s.post(self.url + path, allow_redirects=False, timeout=120, **kw)


def _site(url: str, tmp_path: Path, school_files: SchoolFiles) -> Iterator[Site]:
    engine = engine_for(url)
    clock = ServerClock()
    clock.now = NOW.astimezone(UTC)
    app = create_app(engine, rate_limit=RateLimit(limit=10_000), clock=clock)
    address, server, thread = serve_in_thread(app)
    kiosk_db = tmp_path / "door-1.db"
    shutil.copy(school_files.kiosk_db, kiosk_db)
    site = Site(address, url, engine, clock, kiosk_db, school_files.tokens)
    yield site
    for s in site.sessions:
        s.close()
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path: Path, school_files: SchoolFiles
) -> Iterator[Site]:
    """The school's server on each kind of database."""
    if request.param == "sqlite":
        shutil.copy(school_files.sqlite_db, tmp_path / "server.db")
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        template: str = request.getfixturevalue("pg_school")
        url = cluster.create_database(f"web_{next(_names)}", template)
    yield from _site(url, tmp_path, school_files)


@pytest.fixture
def sqlite_site(tmp_path: Path, school_files: SchoolFiles) -> Iterator[Site]:
    """The school's server on SQLite only (the browser tests: the pages are the same)."""
    shutil.copy(school_files.sqlite_db, tmp_path / "server.db")
    yield from _site(f"sqlite:///{tmp_path / 'server.db'}", tmp_path, school_files)


def reopen_kiosk(path: Path) -> Any:
    return _reopen(path)


__all__ = ["NOW", "SchoolFiles", "Site", "datetime", "pg_cluster", "reopen_kiosk"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The session's one headless Chromium (Debian's). One for every test module: Playwright's
    sync API cannot start a second instance while one runs in the same thread."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: deploy/test.sh installs it")
    engine = sync_playwright().start()
    chromium = engine.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield chromium
    chromium.close()
    engine.stop()
