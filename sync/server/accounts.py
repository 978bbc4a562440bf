"""Kiosk accounts: one bearer token each, shown once and stored only as its SHA-256.

A token is 32 random bytes, so a plain SHA-256 is enough to make a stolen database useless for
pushing (no password stretching needed); lookup is by that hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import Connection, Engine, select, update

from sync.server.db import reading
from sync.server.tables import kiosks

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
TOKEN_PREFIX = "kst_"  # noqa: S105 (a marker that says what the string is, not a secret)


class AccountError(Exception):
    """An add-kiosk or revoke-kiosk that cannot be done; the message says why."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_kiosk(conn: Connection, name: str, now: datetime) -> str:
    """Create the kiosk ``name`` (its `kiosk init --kiosk-id`) and return its new token.

    A revoked kiosk gets a new token (the old one stays refused); an active one is refused.
    """
    if not NAME.fullmatch(name):
        raise AccountError(
            f"NAME: expected the kiosk id (letters, digits, '.', '_' or '-', at most 64), "
            f"found {name!r}"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = conn.execute(select(kiosks.c.revoked_at).where(kiosks.c.name == name)).first()
    if row is None:
        conn.execute(
            kiosks.insert().values(
                name=name, token_hash=token_hash(token), created_at=now, acked_through=0
            )
        )
    elif row.revoked_at is None:
        raise AccountError(f"kiosk {name!r} already exists; revoke it first to issue a new token")
    else:
        conn.execute(
            update(kiosks)
            .where(kiosks.c.name == name)
            .values(token_hash=token_hash(token), revoked_at=None)
        )
    return token


def revoke_kiosk(conn: Connection, name: str, now: datetime) -> None:
    done = conn.execute(
        update(kiosks)
        .where(kiosks.c.name == name, kiosks.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if done.rowcount != 1:
        raise AccountError(f"no active kiosk named {name!r}")


def kiosk_of(engine: Engine, token: str) -> str | None:
    """The kiosk a token belongs to, or None for an unknown or revoked token."""
    with reading(engine) as conn:
        return conn.execute(
            select(kiosks.c.name).where(
                kiosks.c.token_hash == token_hash(token), kiosks.c.revoked_at.is_(None)
            )
        ).scalar()
