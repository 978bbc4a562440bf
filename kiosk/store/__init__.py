"""The kiosk's local SQLite store: the only code that imports sqlite-utils."""

from kiosk.store._db import NoPolicyError, StoreError
from kiosk.store._diagnosis import PARTS, Finding, Part, diagnose
from kiosk.store._forks import Note
from kiosk.store._lock import SyncLock
from kiosk.store._outbox import Acknowledgement, AcknowledgementError, SyncStatus
from kiosk.store._pulled import Arrival, Cursor, PulledLoan, PulledPage
from kiosk.store._repair import repair
from kiosk.store._school_data import Clash, ImportCounts, ImportRefusedError
from kiosk.store._store import Store
from kiosk.store._sync_health import SyncHealth, SyncProblem

__all__ = [
    "PARTS",
    "Acknowledgement",
    "AcknowledgementError",
    "Arrival",
    "Clash",
    "Cursor",
    "Finding",
    "ImportCounts",
    "ImportRefusedError",
    "NoPolicyError",
    "Note",
    "Part",
    "PulledLoan",
    "PulledPage",
    "Store",
    "StoreError",
    "SyncHealth",
    "SyncLock",
    "SyncProblem",
    "SyncStatus",
    "diagnose",
    "repair",
]
