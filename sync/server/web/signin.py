"""Signing in and staying signed in: sessions, form tokens, and the delay after failures.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
account, when it ends, and the key that signs the session's form tokens. A form token is
``<issued>.<nonce>.<signature>``: only this session can make one, it ages out with the session,
and the nonce is written to ``used_forms`` in the same transaction as the form's work, so a form
posted twice does its work once.

Failed sign-ins are counted per account and per address in the database, so every server
process sees the same counts; past a few, each further attempt must wait longer, up to MAX_WAIT,
and a wait is kept even when the password is right. An attempt is counted (``claim``) and
committed *before* its password is checked, so that parallel attempts, in one process or many,
are counted one after another by the database and each sees the wait the one before set; a
success then clears the count. ``PasswordChecks`` bounds the Argon2 checks one process runs at
once (each takes 64 MiB).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.tables import signin_failures, used_forms, web_sessions
from sync.server.web.staff import Role, Staff, find

SESSION_HOURS = 12  # a school day; then sign in again
FREE_FAILURES = 3  # typing mistakes cost nothing
MAX_WAIT = timedelta(minutes=15)
# Doublings past which the wait is MAX_WAIT anyway (2**10 s > 15 min): the power is never taken
# of a larger number, which would overflow timedelta after some 48 failures.
_MAX_DOUBLINGS = 10
CHECKS_AT_ONCE = 2  # Argon2 checks one process runs at once: 64 MiB and most of a core each
CHECK_PATIENCE = 2.0  # seconds an attempt waits for a free check before "too many at once"


@dataclass(frozen=True)
class Session:
    staff: Staff
    token_hash: str
    form_key: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(conn: Connection, who: Staff, now: datetime) -> str:
    """A new session for ``who``; returns the cookie's token (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            token_hash=_digest(token),
            account=who.name,
            form_key=secrets.token_hex(32),
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    # Tidy up while here: sessions that ended, form tokens that can no longer be posted.
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
    conn.execute(
        delete(used_forms).where(used_forms.c.used_at < now - timedelta(hours=SESSION_HOURS))
    )
    return token


def current(conn: Connection, token: str | None, now: datetime) -> Session | None:
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        select(web_sessions).where(
            web_sessions.c.token_hash == _digest(token), web_sessions.c.expires_at > now
        )
    ).first()
    if row is None:
        return None
    who = find(conn, row.account)
    if who is None:
        return None
    return Session(who, row.token_hash, row.form_key, row.expires_at)


def end(conn: Connection, session: Session) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == session.token_hash))


def end_all(conn: Connection, account: str) -> None:
    """Sign an account out everywhere (its password was changed)."""
    conn.execute(delete(web_sessions).where(web_sessions.c.account == account))


# --- form tokens (CSRF) --------------------------------------------------------------------


def _signature(form_key: str, text: str) -> str:
    return hmac.new(bytes.fromhex(form_key), text.encode(), hashlib.sha256).hexdigest()[:32]


def form_token(session: Session, now: datetime) -> str:
    body = f"{int(now.timestamp())}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_signature(session.form_key, body)}"


def form_nonce(session: Session, token: str | None, now: datetime) -> str | None:
    """The nonce of a token this session issued and that has not aged out, else None."""
    if not token or len(token) > 120 or token.count(".") != 2:
        return None
    issued, nonce, signature = token.split(".")
    expected = _signature(session.form_key, f"{issued}.{nonce}")
    if not hmac.compare_digest(expected, signature) or not issued.isdigit():
        return None
    age = now.timestamp() - int(issued)
    if age < -60 or age > SESSION_HOURS * 3600:
        return None
    return f"{session.token_hash[:16]}.{nonce}"


def use_form(conn: Connection, nonce: str, now: datetime) -> bool:
    """Record that this form was posted; False if it was already (its work is done)."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(used_forms)
    # RETURNING says whether the row went in (psycopg reports no rowcount for this insert).
    done = conn.execute(
        insert.values(nonce=nonce, used_at=now)
        .on_conflict_do_nothing()
        .returning(used_forms.c.nonce)
    )
    return done.first() is not None


# --- failed sign-ins -----------------------------------------------------------------------


def throttle_keys(account: str, address: str) -> tuple[str, str]:
    return f"account:{account.casefold()[:100]}", f"address:{address[:64]}"


def wait_after(failures: int) -> timedelta:
    """How long a sign-in must wait after ``failures`` failures in a row: 0, 0, 0, 2 s, 4 s...
    up to MAX_WAIT, for any count."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES + 1, _MAX_DOUBLINGS)
    return min(timedelta(seconds=2**doublings), MAX_WAIT)


class MustWaitError(Exception):
    """An attempt refused unchecked: an account or address waits ``seconds`` more."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"wait {seconds} s")
        self.seconds = seconds


def seconds_to_wait(conn: Connection, keys: Iterable[str], now: datetime) -> int:
    rows = conn.execute(
        select(signin_failures.c.wait_until).where(signin_failures.c.key.in_(list(keys)))
    ).scalars()
    latest = max(rows, default=None)
    if latest is None or latest <= now:
        return 0
    return max(1, int((latest - now).total_seconds() + 0.999))


def claim(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    """Count an attempt as a failure against each key before its password is checked, or raise
    MustWaitError if a key must still wait (the caller's transaction then rolls back: a refused
    attempt counts nothing).

    Each key's count goes up in one upsert that does nothing while the key waits. It holds the
    row's lock (PostgreSQL) or runs under the write lock (SQLite, ``BEGIN IMMEDIATE``) until the
    caller commits, so attempts racing in any number of processes are counted one at a time and
    each sees the wait the one before it set: a burst gets at most FREE_FAILURES checks. Keys
    are taken in one order, so two attempts never wait on each other's rows.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for key in sorted(set(keys)):
        counted = conn.execute(
            insert(signin_failures)
            .values(key=key, failures=1, last_failure_at=now, wait_until=now + wait_after(1))
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"failures": signin_failures.c.failures + 1, "last_failure_at": now},
                where=signin_failures.c.wait_until <= now,
            )
            .returning(signin_failures.c.failures)
        ).scalar()
        if counted is None:  # the key waits: nothing was updated
            raise MustWaitError(max(1, seconds_to_wait(conn, [key], now)))
        conn.execute(
            update(signin_failures)
            .where(signin_failures.c.key == key)
            .values(wait_until=now + wait_after(int(counted)))
        )


def succeeded(conn: Connection, keys: Iterable[str]) -> None:
    """Clear the counts of a sign-in that succeeded (key by key, in ``claim``'s order)."""
    for key in sorted(set(keys)):
        conn.execute(delete(signin_failures).where(signin_failures.c.key == key))


class PasswordChecks:
    """At most ``at_once`` password checks at a time in this process; an attempt that finds
    none free within ``patience`` seconds is told to try again in a moment.

    Waiting attempts are coroutines on the event loop, not threads, so a burst of requests
    queues nothing but themselves, and only ``at_once`` threads run Argon2. The bound is per
    process: N server processes run at most N x ``at_once`` checks (the counts in the database
    keep any one account or address to its few free attempts whatever the number of processes).
    """

    def __init__(self, at_once: int = CHECKS_AT_ONCE, patience: float = CHECK_PATIENCE) -> None:
        self._free = asyncio.Semaphore(at_once)
        self.patience = patience

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[bool]:
        """True while this attempt holds a check; False if none became free in time."""
        try:
            async with asyncio.timeout(self.patience):
                await self._free.acquire()
        except TimeoutError:
            yield False
            return
        try:
            yield True
        finally:
            self._free.release()


__all__ = [
    "MustWaitError",
    "PasswordChecks",
    "Role",
    "Session",
    "claim",
    "current",
    "end",
    "end_all",
    "form_nonce",
    "form_token",
    "seconds_to_wait",
    "start",
    "succeeded",
    "throttle_keys",
    "use_form",
    "wait_after",
]
