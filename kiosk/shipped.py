"""The shipped settings file, ``kiosk/kiosk.toml``: the one place each default is written.

kiosk/config.py reads a school's kiosk.toml over it; the sync worker's settings take their
defaults from its ``[sync]`` table (kiosk/sync_settings.py) when no file is given. Standard
library only, so the sync worker can read it too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DEFAULTS = Path(__file__).with_name("kiosk.toml")


def shipped() -> dict[str, Any]:
    """The shipped file's tables, read afresh: a caller may merge into what it gets."""
    with DEFAULTS.open("rb") as f:
        return tomllib.load(f)
