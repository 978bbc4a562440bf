"""Reading import files from disk and telling a CSV catalogue from a MARC one."""

from __future__ import annotations

import os
import re
from pathlib import Path

from kiosk.core.models import Copy, Reader
from kiosk.core.policy import Policy
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.imports.catalog import parse_catalog_csv
from kiosk.imports.csvtext import MAX_FILE_BYTES, decode
from kiosk.imports.errors import ImportResult, RowError
from kiosk.imports.marc import RECORD_END, parse_marc
from kiosk.imports.roster import parse_roster

__all__ = [
    "MARC_SUFFIXES",
    "looks_like_marc",
    "parse_catalog",
    "read_catalog",
    "read_policy",
    "read_policy_source",
    "read_roster",
]

MARC_SUFFIXES = frozenset({".mrc", ".marc", ".iso", ".iso2709"})
_LEADER_START = re.compile(rb"\s*[0-9]{5}")


def looks_like_marc(data: bytes) -> bool:
    """ISO 2709 starts with a five-digit record length and ends each record with 0x1D."""
    return bool(_LEADER_START.match(data)) and RECORD_END in data[:200_000]


def parse_catalog(data: bytes, file: str) -> ImportResult[Copy]:
    """The copies in a catalogue's bytes, from CSV or MARC by content or by the name's suffix."""
    if looks_like_marc(data) or Path(file).suffix.lower() in MARC_SUFFIXES:
        return parse_marc(data, file)
    return parse_catalog_csv(data, file)


def _read(path: str | os.PathLike[str]) -> bytes | RowError:
    """The file's bytes; raises OSError if it cannot be read (a mistake of the operator)."""
    with Path(path).open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        expected = f"a file under {MAX_FILE_BYTES >> 20} MB"
        return RowError(os.fspath(path), 1, "file", expected, "a larger file")
    return data


def read_roster(path: str | os.PathLike[str]) -> ImportResult[Reader]:
    """The readers of a roster CSV file; errors name the file as ``path`` is written."""
    data = _read(path)
    if isinstance(data, RowError):
        return ImportResult((), (data,), data.file)
    return parse_roster(data, os.fspath(path))


def read_catalog(path: str | os.PathLike[str]) -> ImportResult[Copy]:
    """The copies of a catalogue file, CSV or MARC (ISO 2709).

    Raises MarcUnavailableError for a MARC file when pymarc is not installed.
    """
    data = _read(path)
    if isinstance(data, RowError):
        return ImportResult((), (data,), data.file)
    return parse_catalog(data, os.fspath(path))


def read_policy_source(path: str | os.PathLike[str]) -> str:
    """The text of a policy file saved in UTF-8 (a byte-order mark is fine) or GB18030.

    Raises PolicyError if it is not text, and OSError if the file cannot be read.
    """
    data = _read(path)
    text = decode(data, os.fspath(path)) if isinstance(data, bytes) else data
    if isinstance(text, RowError):
        raise PolicyError([str(text)])
    return text.lstrip("\ufeff")


def read_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy in a TOML file; raises PolicyError listing the problems."""
    return parse_policy(read_policy_source(path))
