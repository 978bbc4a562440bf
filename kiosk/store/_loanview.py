"""Which copies are on loan, as far as this kiosk can know: the server's loans, overlaid with
this kiosk's own checkouts and returns the server had not yet seen when it sent them.

Before any pull the kiosk knows only its own journal (``loans``, its projection). After a pull,
the server's state (``pulled_loans``, from every kiosk) is the base: it already includes this
kiosk's events up to ``reflects_through``; for a copy with a later checkout or return here, that
event decides. So a book borrowed at door A and synced can be returned at door B, and a book
returned here a minute ago is not on loan here, whatever the last pull said.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import replace
from datetime import date, datetime

from kiosk.core.models import Loan
from kiosk.store import _rows
from kiosk.store._time import iso

_OWN = f"SELECT {_rows.LOAN_COLUMNS} FROM loans"
_PULLED = "SELECT barcode, card, borrowed_at, due, 0, renewals FROM pulled_loans"


def _state(conn: sqlite3.Connection) -> tuple[bool, int]:
    pulled, reflects = conn.execute(
        "SELECT pulled, reflects_through FROM sync_state WHERE id = 1"
    ).fetchone()
    return bool(pulled), int(reflects)


def loan(conn: sqlite3.Connection, barcode: str) -> Loan | None:
    pulled, reflects = _state(conn)
    return _loan(conn, barcode, pulled, reflects)


def _loan(conn: sqlite3.Connection, barcode: str, pulled: bool, reflects: int) -> Loan | None:
    own = conn.execute(f"{_OWN} WHERE barcode = ?", (barcode,)).fetchone()
    if not pulled:
        return _rows.loan(own) if own else None
    news = conn.execute(
        "SELECT type FROM events WHERE barcode = ? AND seq > ? "
        "AND type IN ('checkout', 'return', 'renewal') ORDER BY seq DESC",
        (barcode, reflects),
    ).fetchall()
    row = conn.execute(f"{_PULLED} WHERE barcode = ?", (barcode,)).fetchone()
    server = _rows.loan(row) if row else None
    if not news:
        return server
    # This kiosk's own news is newer than the server's.
    if news[0][0] == "return" or own is None:
        return None
    mine = _rows.loan(own)
    renewed_here = list(itertools.takewhile(lambda r: r[0] == "renewal", news))
    if len(renewed_here) < len(news) or server is None or server.card != mine.card:
        return mine  # lent here since: the kiosk's own loan row says it all
    # Renewed here, lent before the server's view: when it began and how often it was renewed
    # before are the server's (perhaps from another door); the new due date is this kiosk's.
    return replace(server, due=mine.due, renewals=server.renewals + len(renewed_here))


def loans(
    conn: sqlite3.Connection, card: str | None = None, overdue_on: date | None = None
) -> list[Loan]:
    """Every copy on loan (to ``card``; due before ``overdue_on``), by due date."""
    pulled, reflects = _state(conn)
    where, params = ("WHERE card = ?", (card,)) if card is not None else ("", ())
    candidates = {str(r[0]) for r in conn.execute(f"SELECT barcode FROM loans {where}", params)}
    if pulled:
        candidates |= {
            str(r[0]) for r in conn.execute(f"SELECT barcode FROM pulled_loans {where}", params)
        }
    found = [
        found
        for barcode in candidates
        if (found := _loan(conn, barcode, pulled, reflects)) is not None
        and (card is None or found.card == card)
        and (overdue_on is None or found.due < overdue_on)
    ]
    return sorted(found, key=lambda x: (x.due, x.card, x.barcode))


def checkouts_since(conn: sqlite3.Connection, card: str, since: datetime) -> int:
    """The reader's checkouts from ``since`` (the start of term) on.

    After a pull that counted them for the same term: the server's count from every kiosk,
    which includes this kiosk's up to ``reflects_through``, plus this kiosk's own since. Before
    one: this kiosk's journal, and the checkouts whose events retention already deleted.
    """
    pulled, reflects = _state(conn)
    counted = conn.execute(
        "SELECT term_start, checkouts FROM pulled_term_checkouts WHERE card = ?", (card,)
    ).fetchone()
    own = "SELECT count(*) FROM events WHERE card = ? AND type = 'checkout' AND wall_time >= ?"
    if pulled and counted is not None and counted[0] == since.date().isoformat():
        later = conn.execute(own + " AND seq > ?", (card, iso(since), reflects)).fetchone()
        return int(counted[1]) + int(later[0])
    # No count for this term: the server has none of this reader's checkouts this term (it
    # counts everyone who has one), so all there are are this kiosk's.
    row = conn.execute(own, (card, iso(since))).fetchone()
    return int(row[0]) + retired_checkouts(conn, card, since)


def retired_checkouts(conn: sqlite3.Connection, card: str, since: datetime) -> int:
    """Checkouts of ``card`` from the hour of ``since`` on whose events retention removed.

    Retention keeps counts per UTC hour, not times: a checkout in the hour before ``since``
    counts too, which at a school (no loans around midnight, when a term starts) never happens.
    """
    row = conn.execute(
        "SELECT coalesce(sum(checkouts), 0) FROM retired_checkouts WHERE card = ? AND hour >= ?",
        (card, iso(since)[:13]),
    ).fetchone()
    return int(row[0])
