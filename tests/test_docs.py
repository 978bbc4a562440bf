"""The docs are part of the product: every command, reason code, policy key and sentence exists."""

from __future__ import annotations

import re

import pytest

from kiosk.cli import build_parser
from kiosk.core import policy_file
from kiosk.core.decisions import Reason
from kiosk.i18n import LANGUAGES, catalogue
from tests.conftest import REPO

DOCS = REPO / "docs"
END_REASONS = {
    Reason.FINISHED,
    Reason.IDLE_TIMEOUT,
    Reason.PREEMPTED,
    Reason.RESTART,
    Reason.SHUTDOWN,
}
IGNORED = {Reason.DUPLICATE_SCAN, Reason.NO_SESSION}


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        assert f"## kiosk {name}" in text, name
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in text or name == "scanners", f"kiosk {name} {option}"


def test_every_reason_code_is_documented() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    for reason in Reason:
        assert f"`{reason.value}`" in text, reason


def test_every_policy_key_is_documented() -> None:
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    sections = {
        "library": policy_file._LIBRARY_KEYS,
        "term": policy_file._TERM_KEYS,
        "loans": policy_file._LOANS_KEYS,
        "windows[]": policy_file._WINDOW_KEYS,
        "reservations": policy_file._RESERVATIONS_KEYS,
        "targets": policy_file._TARGETS_KEYS,
    }
    for section, keys in sections.items():
        for key in keys:
            assert re.search(rf"`{re.escape(section)}\.{key}", text), f"{section}.{key}"


def _message_keys() -> set[str]:
    keys = {"session.started", "session.started.target_met", "session.started.no_target"}
    keys |= {"session.continued", "borrowed.ok", "returned.ok", "returned.late"}
    keys |= {"damage_reported.ok", "renewed.ok", "returned.in_visit", "returned.reserved"}
    keys |= {f"session.ended.{r}" for r in END_REASONS}
    keys |= {f"ignored.{r}" for r in IGNORED}
    keys |= {f"refused.{r}" for r in set(Reason) - END_REASONS - IGNORED - {Reason.OK}}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_everything_the_kiosk_says_exists_in_every_language(language: str) -> None:
    sentences = catalogue(language)
    missing = _message_keys() - sentences.keys()
    assert not missing
    assert all(text.strip() for text in sentences.values())


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert zh.keys() == en.keys()
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
