"""Importing what a school has: roster and catalogue files into Readers and Copies, row errors."""

from __future__ import annotations

from kiosk.imports.errors import ImportResult, RowError
from kiosk.imports.files import (
    parse_catalog,
    read_catalog,
    read_policy,
    read_policy_source,
    read_roster,
)
from kiosk.imports.marc import MarcUnavailableError
from kiosk.imports.roster import parse_roster

__all__ = [
    "ImportResult",
    "MarcUnavailableError",
    "RowError",
    "parse_catalog",
    "parse_roster",
    "read_catalog",
    "read_policy",
    "read_policy_source",
    "read_roster",
]
