"""The kiosk's local SQLite store: the only code that imports sqlite-utils."""

from kiosk.store._db import NoPolicyError, StoreError
from kiosk.store._reference import ImportCounts
from kiosk.store._store import Store

__all__ = ["ImportCounts", "NoPolicyError", "Store", "StoreError"]
