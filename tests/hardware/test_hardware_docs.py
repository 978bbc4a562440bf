"""Docs and deployment files as tested artefacts: every option, reason, kind, command documented."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
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


def test_udev_rules_keep_scanners_from_the_display_stack_and_are_well_formed():
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


# --- The udev rules, run against the device nodes a kiosk really has -------------------------


def udev_rules() -> list[list[tuple[str, str, str]]]:
    """The rules file as lists of (key, operator, value), continuation lines joined."""
    logical = re.sub(r"\\\n", " ", RULES.read_text(encoding="utf-8"))
    part = re.compile(r'^([A-Z_]+(?:\{[A-Za-z0-9_]+\})?)(==|!=|\+=|-=|:=|=)"([^"]*)"$')
    rules = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append([part.match(p.strip()).groups() for p in line.split(", ")])  # type: ignore[union-attr]
    return rules


@dataclass
class Node:
    """What udev knows of one device node when the rules run: its keys, properties, attributes."""

    kernel: str
    subsystem: str
    env: dict[str, str]
    attrs: dict[str, str] = field(default_factory=dict)
    action: str = "add"
    symlinks: list[str] = field(default_factory=list)
    group: str = "root"

    def __post_init__(self) -> None:
        self.env = dict(self.env)  # the rules set properties on this node only

    def value(self, key: str) -> str:
        name = key[key.index("{") + 1 : -1] if "{" in key else ""
        if key.startswith("ENV{"):
            return self.env.get(name, "")
        if key.startswith("ATTRS{"):
            return self.attrs.get(name, "")
        return {"ACTION": self.action, "SUBSYSTEM": self.subsystem, "KERNEL": self.kernel}[key]


def run_rules(node: Node) -> Node:
    """A small udev: match keys with globs, assignments, GOTO/LABEL; enough for this file."""
    rules = udev_rules()
    labels = {r[0][2]: i for i, r in enumerate(rules) if r[0][0] == "LABEL"}
    index = 0
    while index < len(rules):
        rule, index = rules[index], index + 1
        matches = [(k, op, v) for k, op, v in rule if op in ("==", "!=")]
        if not all(fnmatch.fnmatchcase(node.value(k), v) == (op == "==") for k, op, v in matches):
            continue
        for key, op, value in rule:
            if key == "GOTO":
                index = labels[value]
            elif key == "SYMLINK" and op == "+=":
                node.symlinks.append(value)
            elif key == "GROUP":
                node.group = value
            elif key.startswith("ENV{") and op == "=":
                node.env[key[4:-1]] = value
    return node


SCANNER = {"ID_VENDOR_ID": "0483", "ID_MODEL_ID": "0011", "ID_INPUT": "1", "ID_INPUT_KEY": "1"}


def test_the_stable_link_points_at_the_scanner_node_that_types():
    # One USB scanner, three input nodes with its USB id; only the first types the codes.
    keyboard = run_rules(
        Node("event4", "input", {**SCANNER, "ID_INPUT_KEYBOARD": "1", "ID_USB_INTERFACE_NUM": "00"})
    )
    consumer = run_rules(Node("event5", "input", {**SCANNER, "ID_USB_INTERFACE_NUM": "01"}))
    system = run_rules(Node("event6", "input", {**SCANNER, "ID_USB_INTERFACE_NUM": "01"}))
    assert keyboard.symlinks == ["library/book-scanner"]
    assert consumer.symlinks == system.symlinks == []
    assert keyboard.group == "kiosk"
    assert keyboard.env["LIBINPUT_IGNORE_DEVICE"] == "1"
    assert keyboard.env["ID_SEAT"] != "seat0"


def test_the_card_scanner_gets_its_own_link_and_other_keyboards_none():
    scanner = {
        "ID_VENDOR_ID": "ffff",
        "ID_MODEL_ID": "0035",
        "ID_INPUT_KEY": "1",
        "ID_INPUT_KEYBOARD": "1",
    }
    assert run_rules(Node("event7", "input", scanner)).symlinks == [
        "library/card-scanner",
        "library/card-reader",  # its older name, for a kiosk.toml that still names it
    ]
    other = {**scanner, "ID_VENDOR_ID": "046d", "ID_MODEL_ID": "c31c"}
    node = run_rules(Node("event8", "input", other))
    assert (node.symlinks, node.group) == ([], "root")
    assert run_rules(Node("input7", "input", scanner)).symlinks == []  # not an event node


def test_a_usb_serial_scanner_is_named_and_kept_from_modemmanager():
    node = run_rules(Node("ttyUSB0", "tty", {}, {"idVendor": "1a86", "idProduct": "7523"}))
    assert node.symlinks == ["library/serial-scanner"]
    assert (node.group, node.env["ID_MM_DEVICE_IGNORE"]) == ("kiosk", "1")


def test_the_pi_uarts_are_left_alone_rdm6300_scanners_use_serial0():
    # ttyAMA0 is the Bluetooth UART on a Pi 3, 4 or Zero W: no rule may claim it as the scanner.
    for kernel in ("ttyAMA0", "ttyS0"):
        node = run_rules(Node(kernel, "tty", {}))
        assert (node.symlinks, node.group) == ([], "root")
    assert "rdm6300:///dev/serial0" in DOC
    assert not [rule for rule in udev_rules() if any("ttyAMA0" in v for _, _, v in rule)]


def test_a_removed_device_is_not_touched():
    node = run_rules(
        Node("event4", "input", {**SCANNER, "ID_INPUT_KEYBOARD": "1"}, action="remove")
    )
    assert node.symlinks == []
