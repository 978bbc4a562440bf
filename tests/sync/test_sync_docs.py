"""The sync docs are part of the product: every server command and option, every [sync] key
and every kind of review item is documented."""

from __future__ import annotations

import argparse

from sync.server.cli import build_parser
from sync.server.review import Kind, Resolution
from sync.settings import SYNC_KEYS
from tests.conftest import REPO

DOCS = REPO / "docs"


def test_every_server_command_and_option_is_documented() -> None:
    text = (DOCS / "server.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert f"## kiosk-server {name}" in text, name
        assert "example:" in command.format_help(), name
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in text, f"kiosk-server {name} {option}"


def test_every_sync_setting_is_documented() -> None:
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    for key in (*SYNC_KEYS, "[kiosk] database", "[kiosk] id"):
        assert f"`{key}`" in text, key


def test_every_kind_of_review_item_is_documented() -> None:
    text = (DOCS / "server.md").read_text(encoding="utf-8")
    for value in (*Kind, *Resolution):
        assert f"`{value.value}`" in text, value
