"""The sync worker's settings: the ``[sync]`` table of kiosk.toml, then the command line.

kiosk.toml is shared with the touchscreen app, so its ``[sync]`` table is read and checked on the
kiosk's side (kiosk/sync_settings.py, which says why): kiosk/config.py reads the whole file (its
shipped defaults under it) and names a wrong key, for `kiosk run` as for `kiosk sync`; the
kiosk's database and id come from ``[kiosk]``. Here ``--db``, ``--server``, ``--token-file`` and
``--ca-file`` go over the file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk.sync_settings import SYNC_KEYS, Settings, SettingsError, from_table, server_url

__all__ = ["SYNC_KEYS", "Settings", "SettingsError", "from_table", "resolve", "server_url"]


def resolve(
    settings: Settings,
    *,
    db: Path | None = None,
    server: str | None = None,
    token_file: Path | None = None,
    ca_file: Path | None = None,
) -> Settings:
    """``settings`` (from kiosk.toml, or the defaults) with the command line's options over them."""
    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["db"] = db
    if server is not None:
        overrides["server"] = server_url(server, "--server")
    if token_file is not None:
        overrides["token_file"] = token_file
    if ca_file is not None:
        overrides["ca_file"] = ca_file
    return replace(settings, **overrides)
