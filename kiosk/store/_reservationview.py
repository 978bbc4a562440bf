"""The reservations this kiosk knows: the server's waiting and ready ones (``pulled_reservations``)
with this kiosk's own events since the pull laid over them (kiosk.core.reservations.overlay).

Before any pull there are none: reservations are placed on the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from kiosk.core.decisions import EventType
from kiosk.core.models import Copy
from kiosk.core.reservations import News, Reservation, overlay
from kiosk.store import _rows

_PULLED = "SELECT id, card, isbn, barcode, ready_barcode, ready_until FROM pulled_reservations"
# Only the events that can touch a reservation: those of its readers, and checkouts of a copy
# held on the shelf (by the pull, or by this kiosk since). A kiosk offline for a week has
# thousands of checkouts after the pull; a scan must not read them all. (The events after the
# pull are walked by sequence first: never an index of every checkout the kiosk ever made.)
_NEWS = (
    "WITH news AS MATERIALIZED (SELECT seq, type, card, barcode, due FROM events "
    "WHERE seq > :after AND +type IN ('reservation_ready', 'reservation_expired', 'checkout')) "
    "SELECT type, card, barcode, due FROM news "
    "WHERE card IN (SELECT card FROM pulled_reservations) "
    "OR barcode IN (SELECT ready_barcode FROM pulled_reservations) "
    "OR barcode IN (SELECT barcode FROM news WHERE type = 'reservation_ready') ORDER BY seq"
)
_COPY = (
    "SELECT barcode, isbn, title, author, category, loan_type, price, active, isbn_only "
    "FROM copies WHERE barcode = ?"
)


def reservations(conn: sqlite3.Connection) -> list[Reservation]:
    pulled = [
        Reservation(int(r[0]), r[1], r[2], r[3], r[4], date.fromisoformat(r[5]) if r[5] else None)
        for r in conn.execute(_PULLED)
    ]
    if not pulled:
        return []
    (reflects,) = conn.execute("SELECT reflects_through FROM sync_state WHERE id = 1").fetchone()
    news = [
        News(
            EventType(t),
            card,
            barcode,
            date.fromisoformat(due) if due else None,
            _copy(conn, barcode),
        )
        for t, card, barcode, due in conn.execute(_NEWS, {"after": reflects}).fetchall()
    ]
    return overlay(pulled, news)


def _copy(conn: sqlite3.Connection, barcode: str | None) -> Copy | None:
    row = conn.execute(_COPY, (barcode,)).fetchone() if barcode else None
    return _rows.copy(row) if row else None


def replace_pulled(conn: sqlite3.Connection, pulled: Sequence[Reservation]) -> None:
    """What the server sent: every open reservation (call inside the pull's transaction)."""
    conn.execute("DELETE FROM pulled_reservations")
    conn.executemany(
        "INSERT INTO pulled_reservations (id, card, isbn, barcode, ready_barcode, ready_until) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                r.id,
                r.card,
                r.isbn,
                r.barcode,
                r.ready_barcode,
                r.until.isoformat() if r.until else None,
            )
            for r in pulled
        ],
    )
