"""Docs and deployment files as tested artefacts: every option, reason, kind, command documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardware import CodeKind, Reason
from hardware.spec import OPTIONS, SCHEMES

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "hardware.md").read_text(encoding="utf-8")
RULES = REPO / "deploy" / "udev" / "70-library-readers.rules"


def documented_table_keys() -> set[str]:
    """First-column `code` entries of the docs' tables."""
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", DOC, flags=re.MULTILINE))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_is_documented(scheme):
    assert scheme in documented_table_keys()


@pytest.mark.parametrize("option", sorted({o for opts in OPTIONS.values() for o in opts}))
def test_every_url_option_is_documented(option):
    assert option in documented_table_keys()


@pytest.mark.parametrize("reason", list(Reason))
def test_every_problem_reason_is_documented(reason):
    assert reason.value in documented_table_keys()


@pytest.mark.parametrize("kind", list(CodeKind))
def test_every_code_kind_is_documented(kind):
    assert kind.value in documented_table_keys()


@pytest.mark.parametrize("command", ["list", "watch"])
def test_every_cli_command_has_a_section(command):
    assert f"### `kiosk scanners {command}" in DOC


def test_udev_rules_keep_readers_from_the_display_stack_and_are_well_formed():
    text = RULES.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    rules = [line.strip() for line in logical.splitlines()]
    rules = [line for line in rules if line and not line.startswith("#")]
    token = re.compile(r'^[A-Z_]+(\{[A-Za-z0-9_]+\})?(==|!=|=|\+=|-=|:=)"[^"]*"$')
    for rule in rules:
        for part in rule.split(", "):
            assert token.match(part.strip()), f"not a udev key: {part!r} in {rule!r}"
    labels = set(re.findall(r'LABEL="([^"]+)"', text))
    assert set(re.findall(r'GOTO="([^"]+)"', text)) <= labels
    for needed in ("ENV{LIBINPUT_IGNORE_DEVICE}=", "ENV{ID_SEAT}=", 'GROUP="kiosk"', "SYMLINK+="):
        assert needed in text
