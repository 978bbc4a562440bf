"""What the engine may ask about the library: a read-only view the store implements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from kiosk.core.models import Copy, Loan, Reader
from kiosk.core.reservations import Reservation


class Library(Protocol):
    def reader(self, card: str) -> Reader | None: ...

    def copy(self, barcode: str) -> Copy | None: ...

    def copies_with_isbn(self, isbn: str) -> Sequence[Copy]: ...

    def loan(self, barcode: str) -> Loan | None: ...

    def loans_of(self, card: str) -> Sequence[Loan]: ...

    def checkouts_since(self, card: str, since: datetime) -> int:
        """Books this reader borrowed since this moment (for "7 books this term, 3 to go!")."""
        ...

    def reservations(self) -> Sequence[Reservation]:
        """The waiting and ready reservations this kiosk knows of, oldest first."""
        ...
