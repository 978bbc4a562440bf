"""Staff accounts for the pages: librarians, and teachers who see one class read-only.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile);
this is the only module that imports argon2. An unknown name costs the same time as a wrong
password, so a sign-in does not tell which names exist.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, select, update

from kiosk.core.classes import ClassNameError, parse_class_name
from sync.server.db import reading
from sync.server.tables import readers, staff
from sync.server.web import passwords

NAME = re.compile(r"[\w][\w.@-]{0,63}")
MIN_PASSWORD = passwords.MIN_LENGTH
MAX_PASSWORD = passwords.MAX_LENGTH

_hasher = PasswordHasher()
# Verified when the name is unknown, so that both answers take as long.
_NOBODY = _hasher.hash("no such account: this hash only spends the same time")


class Role(enum.StrEnum):
    LIBRARIAN = "librarian"
    TEACHER = "teacher"  # read-only, one class


@dataclass(frozen=True)
class Staff:
    name: str
    role: Role
    class_name: str | None = None  # a teacher's class, canonical ("3-1")
    card: str | None = None  # a teacher's own library card (her reservations)

    @property
    def librarian(self) -> bool:
        return self.role is Role.LIBRARIAN

    def may_see_class(self, class_name: str) -> bool:
        return self.librarian or self.class_name == class_name


class StaffError(ValueError):
    """An account that cannot be made as asked; the message says why."""


def check_password(password: str, name: str = "") -> str | None:
    """What is wrong with a new password of the account ``name`` (sync.server.web.passwords)."""
    return passwords.problem(password, name)


def add(
    conn: Connection,
    name: str,
    role: Role,
    password: str,
    now: datetime,
    *,
    class_name: str | None = None,
    card: str | None = None,
    replace: bool = False,
) -> Staff:
    """Create the account (or, with ``replace``, give an existing one this role and password)."""
    if not NAME.fullmatch(name):
        raise StaffError(
            f"NAME: expected letters, digits, '.', '_', '@' or '-' (at most 64), found {name!r}"
        )
    problem = check_password(password, name)
    if problem:
        raise StaffError(problem)
    if role is Role.TEACHER:
        if not class_name:
            raise StaffError("a teacher's account needs --class, e.g. --class 3-1")
        try:
            class_name = str(parse_class_name(class_name))
        except ClassNameError as exc:
            raise StaffError(f"--class: expected {exc.expected}, found {class_name!r}") from None
    else:
        class_name = card = None
    if card is not None:
        card = card.strip()
        found = conn.execute(select(readers.c.card).where(readers.c.card == card)).first()
        if not card or found is None:
            raise StaffError(f"--card: no reader has card {card!r}; import the roster first")
    values = {
        "role": role.value,
        "class_name": class_name,
        "card": card,
        "password_hash": _hasher.hash(password),
        "password_set_at": now,
    }
    exists = conn.execute(select(staff.c.name).where(staff.c.name == name)).first() is not None
    if exists and not replace:
        raise StaffError(f"an account named {name!r} exists; add --replace to set a new password")
    if exists:
        conn.execute(update(staff).where(staff.c.name == name).values(**values))
    else:
        conn.execute(staff.insert().values(name=name, created_at=now, **values))
    return Staff(name, role, class_name, card)


def find(conn: Connection, name: str) -> Staff | None:
    row = conn.execute(
        select(staff.c.name, staff.c.role, staff.c.class_name, staff.c.card).where(
            staff.c.name == name
        )
    ).first()
    return None if row is None else Staff(row.name, Role(row.role), row.class_name, row.card)


def verify(engine: Engine, name: str, password: str, now: datetime) -> Staff | None:
    """The account if ``password`` is its password; None otherwise (in the same time)."""
    with reading(engine) as conn:
        row = conn.execute(select(staff).where(staff.c.name == name)).first()
    known = row is not None and len(password) <= MAX_PASSWORD
    encoded = row.password_hash if row is not None and known else _NOBODY
    try:
        _hasher.verify(encoded, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not known:
        return None
    if _hasher.check_needs_rehash(encoded):  # the parameters were raised since it was set
        with engine.begin() as conn:
            conn.execute(
                update(staff)
                .where(staff.c.name == name)
                .values(password_hash=_hasher.hash(password), password_set_at=now)
            )
    return Staff(row.name, Role(row.role), row.class_name, row.card)
