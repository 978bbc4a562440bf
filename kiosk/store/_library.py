"""The engine's read-only view of the library, answered from SQLite (see kiosk.core.library)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.reservations import Reservation
from kiosk.store import _loanview, _reservationview, _rows
from kiosk.store._db import guarded

READER_QUERY = "SELECT card, given_name, role, class_name, grade, active FROM readers"
COPY_QUERY = (
    "SELECT barcode, isbn, title, author, category, loan_type, price, active, isbn_only FROM copies"
)
LOAN_QUERY = f"SELECT {_rows.LOAN_COLUMNS} FROM loans"


class SqliteLibrary:
    """Every answer comes from the file as it is now; a damaged page is a StoreError."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @guarded
    def reader(self, card: str) -> Reader | None:
        row = self._conn.execute(f"{READER_QUERY} WHERE card = ?", (card,)).fetchone()
        return _rows.reader(row) if row else None

    @guarded
    def copy(self, barcode: str) -> Copy | None:
        row = self._conn.execute(f"{COPY_QUERY} WHERE barcode = ?", (barcode,)).fetchone()
        return _rows.copy(row) if row else None

    @guarded
    def copies_with_isbn(self, isbn: str) -> list[Copy]:
        rows = self._conn.execute(f"{COPY_QUERY} WHERE isbn = ? ORDER BY barcode", (isbn,))
        return [_rows.copy(r) for r in rows]

    # Loans: this kiosk's own and those pulled from the server, merged (see _loanview.py).
    @guarded
    def loan(self, barcode: str) -> Loan | None:
        return _loanview.loan(self._conn, barcode)

    @guarded
    def loans_of(self, card: str) -> list[Loan]:
        return _loanview.loans(self._conn, card)

    @guarded
    def checkouts_since(self, card: str, since: datetime) -> int:
        return _loanview.checkouts_since(self._conn, card, since)

    @guarded
    def reservations(self) -> list[Reservation]:
        return _reservationview.reservations(self._conn)
