"""The kiosk's local SQLite store: the only code that imports sqlite-utils."""

from kiosk.store._db import NoPolicyError, StoreError
from kiosk.store._outbox import AcknowledgementError, Answer, SyncStatus
from kiosk.store._pulled import Arrival, Cursor, PulledLoan, PulledPage
from kiosk.store._reference import ImportCounts
from kiosk.store._store import Store

__all__ = [
    "AcknowledgementError",
    "Answer",
    "Arrival",
    "Cursor",
    "ImportCounts",
    "NoPolicyError",
    "PulledLoan",
    "PulledPage",
    "Store",
    "StoreError",
    "SyncStatus",
]
