"""Guessing a librarian's password, as an attacker would, over real HTTP on SQLite and PostgreSQL:
a long run of failures never switches the wait off, a burst of parallel guesses (from many
addresses, at two server processes on one database) gets no more password checks than a
person's typing mistakes are allowed, and one process runs only a few Argon2 checks at once.

The checks are counted where they cost memory: argon2's own hasher, wrapped to count its calls
and how many run at the same moment (the real Argon2 still runs).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from argon2 import PasswordHasher
from fastapi import FastAPI
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from sync.server.app import create_app
from sync.server.ratelimit import RateLimit
from sync.server.tables import signin_failures
from sync.server.web import signin, staff
from tests.sync.conftest import serve_in_thread
from tests.web.conftest import LIBRARIAN, PASSWORD, Site

TOO_MANY_AT_ONCE = "同时登录的人太多"


class CountedHasher(PasswordHasher):
    """argon2's hasher with the server's parameters, counting the checks it runs. The first
    ``held`` checks wait for ``release`` before running (a test control: checks that take long)."""

    def __init__(self, held: int = 0) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.checks = 0
        self.running = 0
        self.most_at_once = 0
        self.held = held
        self.all_held = threading.Event()
        self.release = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.checks += 1
            number = self.checks
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if number <= self.held:
                if number == self.held:
                    self.all_held.set()
                assert self.release.wait(60), "the test never released the held checks"
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountedHasher:
    counted = CountedHasher()
    monkeypatch.setattr(staff, "_hasher", counted)
    return counted


class _FromAddress(HTTPAdapter):
    """Connections from one loopback address of many (127.0.0.0/8 is all this machine): each
    guess of a burst comes from its own address, as from a botnet."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Guess:
    """A sign-in form fetched from one address, ready to be posted."""

    session: requests.Session
    url: str
    token: str

    def post(self, name: str, password: str) -> requests.Response:
        answer = self.session.post(
            self.url + "/signin",
            data={"signin_token": self.token, "name": name, "password": password},
            allow_redirects=False,
            timeout=120,
        )
        again = re.search(r'name="signin_token" value="([^"]+)"', answer.text)
        if again is not None:  # the form shown again, as a browser would post it next
            self.token = again.group(1)
        return answer


_addresses = iter(f"127.0.{n // 250}.{n % 250 + 2}" for n in range(60_000))


def guess_from_new_address(url: str) -> Guess:
    s = requests.Session()
    s.trust_env = False
    s.mount("http://", _FromAddress(next(_addresses)))
    form = s.get(url + "/signin", timeout=30)
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    return Guess(s, url, token.group(1))


@dataclass
class Served:
    url: str
    app: FastAPI


@pytest.fixture
def serve(site: Site) -> Iterator[Callable[[], Served]]:
    """Start another server process (an app of its own) on the site's database."""
    running: list[Any] = []

    def start() -> Served:
        app = create_app(site.engine, rate_limit=RateLimit(limit=10_000), clock=site.clock)
        url, server, thread = serve_in_thread(app)
        running.append((server, thread))
        return Served(url, app)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(10)


def _failures(site: Site, key: str) -> int:
    with site.engine.connect() as conn:
        found = conn.execute(
            select(signin_failures.c.failures).where(signin_failures.c.key == key)
        ).scalar()
    return int(found or 0)


def test_the_wait_never_grows_past_its_cap_however_many_failures() -> None:
    waits = [signin.wait_after(n) for n in range(10_000)]
    assert waits[: signin.FREE_FAILURES] == [timedelta(0)] * signin.FREE_FAILURES
    assert waits == sorted(waits)
    assert max(waits) == waits[-1] == signin.MAX_WAIT


def test_sixty_failures_in_a_row_keep_the_account_waiting_and_no_page_fails(site: Site) -> None:
    s = site.session()
    for attempt in range(1, 61):
        if attempt > 1:
            site.clock.advance(signin.MAX_WAIT.total_seconds())  # every wait waited out
        answer = site.try_sign_in(s, LIBRARIAN, f"guess {attempt}")
        assert answer.status_code == 401, f"guess {attempt}: {answer.status_code}"
    assert _failures(site, "account:wang") == 60
    # Even the right password waits the longest wait after the sixtieth failure.
    refused = site.try_sign_in(s, LIBRARIAN, PASSWORD)
    assert refused.status_code == 429
    assert "请等 900 秒" in refused.text
    site.clock.advance(signin.MAX_WAIT.total_seconds() - 1)
    assert site.try_sign_in(s, LIBRARIAN, PASSWORD).status_code == 429
    site.clock.advance(1)
    assert site.try_sign_in(s, LIBRARIAN, PASSWORD).status_code == 303


def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_typing_mistakes(
    site: Site, serve: Callable[[], Served], hasher: CountedHasher
) -> None:
    """100 guesses at one account, each from its own address, posted at the same moment at two
    server processes on one database: only the free attempts reach a password check."""
    servers = [serve(), serve()]
    guesses = [guess_from_new_address(servers[n % 2].url) for n in range(100)]
    start = threading.Barrier(len(guesses))

    def post(guess: Guess) -> requests.Response:
        start.wait(60)
        return guess.post(LIBRARIAN, "a guess")

    with ThreadPoolExecutor(len(guesses)) as pool:
        answers = list(pool.map(post, guesses))
    assert hasher.checks <= signin.FREE_FAILURES, f"{hasher.checks} guesses were checked"
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {401, 429}, statuses
    # Every guess that was checked was counted, so the account waits now.
    assert _failures(site, "account:wang") == statuses.count(401) == hasher.checks
    assert guess_from_new_address(servers[0].url).post(LIBRARIAN, PASSWORD).status_code == 429


def test_one_process_checks_only_a_few_passwords_at_once_and_says_so_to_the_rest(
    site: Site, serve: Callable[[], Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two checks run long (held by the test); a third attempt, for another account from
    another address, is told to try again in a moment and is not counted as a failure."""
    hasher = CountedHasher(held=2)
    monkeypatch.setattr(staff, "_hasher", hasher)
    served = serve()
    served.app.state.pages.password_checks = signin.PasswordChecks(at_once=2, patience=0.2)
    first, second, third = (guess_from_new_address(served.url) for _ in range(3))
    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(g.post, name, "a guess") for g, name in ((first, "u1"), (second, "u2"))]
        assert hasher.all_held.wait(60)
        try:
            refused = third.post("u3", "a guess")
        finally:
            hasher.release.set()
        assert [h.result().status_code for h in held] == [401, 401]
    assert refused.status_code == 429
    assert TOO_MANY_AT_ONCE in refused.text
    assert "Retry-After" in refused.headers
    assert hasher.checks == 2 and hasher.most_at_once == 2
    assert _failures(site, "account:u3") == 0
    # Once the checks are done, the same person trying again is checked (and counted).
    assert third.post("u3", "a guess").status_code == 401
    assert _failures(site, "account:u3") == 1
