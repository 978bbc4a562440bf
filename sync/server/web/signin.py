"""Signing in and staying signed in: sessions, form tokens, and the delay after failures.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
account, when it ends, and the key that signs the session's form tokens. A form token is
``<issued>.<nonce>.<signature>``: only this session can make one, it ages out with the session,
and the nonce is written to ``used_forms`` in the same transaction as the form's work, so a form
posted twice does its work once. Failed sign-ins are counted per account and per address in the
database (every server process sees the same counts); past a few, each further attempt must
wait longer, up to MAX_WAIT, and a wait is kept even when the password is right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.tables import signin_failures, used_forms, web_sessions
from sync.server.web.staff import Role, Staff, find

SESSION_HOURS = 12  # a school day; then sign in again
FREE_FAILURES = 3  # typing mistakes cost nothing
MAX_WAIT = timedelta(minutes=15)


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
    """How long a sign-in must wait after ``failures`` failures in a row: 0, 0, 0, 2 s, 4 s..."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)), MAX_WAIT)


def seconds_to_wait(conn: Connection, keys: Iterable[str], now: datetime) -> int:
    rows = conn.execute(
        select(signin_failures.c.wait_until).where(signin_failures.c.key.in_(list(keys)))
    ).scalars()
    latest = max(rows, default=None)
    if latest is None or latest <= now:
        return 0
    return max(1, int((latest - now).total_seconds() + 0.999))


def failed(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    """Count one more failure against each key (atomically: processes may race)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        counted = (
            insert(signin_failures)
            .values(key=key, failures=1, last_failure_at=now, wait_until=now)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"failures": signin_failures.c.failures + 1, "last_failure_at": now},
            )
            .returning(signin_failures.c.failures)
        )
        count = int(conn.execute(counted).scalar_one())
        conn.execute(
            update(signin_failures)
            .where(signin_failures.c.key == key)
            .values(wait_until=now + wait_after(count))
        )


def succeeded(conn: Connection, keys: Iterable[str]) -> None:
    conn.execute(delete(signin_failures).where(signin_failures.c.key.in_(list(keys))))


__all__ = [
    "Role",
    "Session",
    "current",
    "end",
    "end_all",
    "failed",
    "form_nonce",
    "form_token",
    "seconds_to_wait",
    "start",
    "succeeded",
    "throttle_keys",
    "use_form",
    "wait_after",
]
