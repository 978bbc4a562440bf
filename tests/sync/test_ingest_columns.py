"""Ingest writes the new events straight to the driver (sync.server.ingest._COLUMNS): every
column of ``events`` but its number must be among them, or a new column would be left NULL
(or its Python-side default skipped) without a word."""

from __future__ import annotations

from sync.server.ingest import _COLUMNS
from sync.server.tables import events


def test_ingest_writes_every_column_of_an_event() -> None:
    assert sorted(_COLUMNS) == sorted(c.name for c in events.columns if c.name != "number")
