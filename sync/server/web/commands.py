"""`kiosk-server add-librarian` and `add-teacher`: accounts for the pages, from the command line.

The password is asked twice on the terminal (getpass: not echoed, never an argument, so it
is in no shell history and no process list).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from sync.server.web import signin, staff

Ask = Callable[[str], str]


def add_account(
    engine: Engine,
    name: str,
    role: staff.Role,
    now: datetime,
    ask: Ask,
    *,
    class_name: str | None = None,
    card: str | None = None,
    replace: bool = False,
) -> int:
    """Ask for the password twice and create (or with ``replace``, reset) the account."""
    try:
        first = ask(f"password for {name}: ")
        second = ask("the same password again: ")
    except (EOFError, KeyboardInterrupt):
        print("\nkiosk-server: no password given; nothing changed", file=sys.stderr)
        return 1
    if first != second:
        print("kiosk-server: the two passwords differ; nothing changed", file=sys.stderr)
        return 1
    try:
        with engine.begin() as conn:
            made = staff.add(conn, name, role, first, now, class_name=class_name, card=card,
                             replace=replace)  # fmt: skip
            if replace:
                signin.end_all(conn, name)  # a new password signs the old sessions out
    except staff.StaffError as exc:
        print(f"kiosk-server: {exc}; nothing changed", file=sys.stderr)
        return 1
    if made.role is staff.Role.TEACHER:
        print(f"teacher {made.name!r} of class {made.class_name}: account ready (read-only)")
    else:
        print(f"librarian {made.name!r}: account ready")
    return 0
