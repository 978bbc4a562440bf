"""kiosk.toml: the shipped defaults, every key documented, and bad files answered key by key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from kiosk.config import (
    DEFAULTS,
    SECTIONS,
    BadKey,
    ConfigError,
    Display,
    KioskConfig,
    Screens,
    hash_pin,
    load,
    parse_size,
    pin_matches,
)
from kiosk.sync_settings import SYNC_KEYS, Settings
from tests.conftest import REPO

DOC = (REPO / "docs" / "config.md").read_text(encoding="utf-8")


def test_every_key_is_documented_and_shipped() -> None:
    shipped = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))
    for section, keys in SECTIONS.items():
        for key in keys:
            assert f"`{section}.{key}`" in DOC, f"{section}.{key}"
            if section != "scanners[]":
                assert key in shipped[section], f"{section}.{key} has no shipped default"
    # [sync] is documented with the sync worker, every key of it shipped here too.
    assert "`sync.*`" in DOC and "protocol.md" in DOC
    assert set(shipped["sync"]) == set(SYNC_KEYS)


def test_each_default_is_written_once_in_the_shipped_file() -> None:
    # The dataclasses hold no default of their own: every value comes from kiosk/kiosk.toml.
    for dataclass in (KioskConfig, Screens, Display):
        for f in fields(dataclass):
            assert f.default is MISSING and f.default_factory is MISSING, f"{dataclass}.{f.name}"
    # The sync worker's numbers without a file (`kiosk sync` with no --config) are the shipped ones.
    shipped = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))["sync"]
    unconfigured = Settings()
    for key, value in shipped.items():
        if isinstance(value, int | float):
            assert getattr(unconfigured, key) == value, key
    assert load(None).sync.interval == shipped["interval"]


def _documented_defaults(doc: str) -> dict[str, str]:
    """The default column of a doc's key table, by key, without backticks or a remark after."""
    rows = re.findall(r"^\| `([^`]+)` \|.*\| ([^|]+) \|$", doc, re.MULTILINE)
    return {key: re.sub(r" \(.*\)$", "", cell).replace("`", "") for key, cell in rows}


def test_the_documented_defaults_are_the_shipped_ones() -> None:
    shipped = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))
    documented = _documented_defaults(DOC)
    for section, keys in SECTIONS.items():
        for key in () if section == "scanners[]" else keys:
            value, default = shipped[section][key], documented[f"{section}.{key}"]
            if isinstance(value, str) and not default.startswith('"'):
                default = f'"{default}"'  # a path, written bare in the table
            assert tomllib.loads(f"v = {default}")["v"] == value, f"{section}.{key}"
    in_protocol = _documented_defaults((REPO / "docs" / "protocol.md").read_text(encoding="utf-8"))
    for key, value in shipped["sync"].items():
        if isinstance(value, int | float):
            assert tomllib.loads(f"v = {in_protocol[key]}")["v"] == value, f"sync.{key}"


def test_the_shipped_defaults_load() -> None:
    config = load(None)
    assert config.language == "zh_CN"
    assert [r.name for r in config.scanners] == ["card-scanner", "book-scanner"]
    assert config.display.fullscreen


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    return str(caught.value)


def test_a_file_changes_only_what_it_names(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[kiosk]\ndatabase = "/srv/k.db"\n[sounds]\nvolume = 0.2\n'))
    assert config.database == Path("/srv/k.db")
    assert config.volume == 0.2
    assert config.sounds_enabled  # kept from the defaults
    assert len(config.scanners) == 2


def test_scanners_replace_the_default_list(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[[scanners]]\nname = "front"\nurl = "stdin:"\nrole = "any"\n'))
    assert [(r.name, r.url, r.role) for r in config.scanners] == [("front", "stdin:", "any")]
    assert config.old_names == ()


def test_a_file_that_still_says_readers_is_read_as_scanners(tmp_path: Path) -> None:
    # kiosk.toml from before the rename: its [[readers]] tables are the scanners, unchanged.
    config = load(write(tmp_path, '[[readers]]\nname = "front"\nurl = "stdin:"\nrole = "any"\n'))
    assert [(r.name, r.url, r.role) for r in config.scanners] == [("front", "stdin:", "any")]
    assert config.old_names == ("readers",)  # `kiosk doctor --config` asks for the rename
    # A mistake in it is named as the file spells it.
    message = problems(tmp_path, '[[readers]]\nname = "front"\nurl = "stdin:"\nrole = "pen"\n')
    assert 'readers[1].role: expected one of card, book, any, found "pen"' in message


def test_readers_and_scanners_in_one_file_are_refused(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        '[[scanners]]\nname = "a"\nurl = "stdin:"\n[[readers]]\nname = "b"\nurl = "stdin:"\n',
    )
    assert "readers: written as well as [[scanners]]: keep only [[scanners]]" in message


def test_more_scanners_than_a_heartbeat_carries_are_refused(tmp_path: Path) -> None:
    # The heartbeat's 16 device lines hold 15 scanners and the screen (kiosk.store SCREEN).
    one = '[[scanners]]\nname = "s{n}"\nurl = "stdin:"\n'
    assert len(load(write(tmp_path, "".join(one.format(n=n) for n in range(15)))).scanners) == 15
    message = problems(tmp_path, "".join(one.format(n=n) for n in range(16)))
    assert "scanners: at most 15 scanners, found 16" in message


def test_every_bad_key_is_named_at_once(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        '[kiosk]\nlanguage = "fr"\n[sounds]\nvolum = 1\n[display]\nsize = "big"\n'
        '[[scanners]]\nname = "a"\nurl = "fake:?debounce=1"\nrole = "card"\n'
        '[[scanners]]\nname = "b"\nurl = "fake:"\nrole = "printer"\n[colour]\nx = 1\n',
    )
    assert 'kiosk.language: expected one of zh_CN, en, found "fr"' in message
    assert "sounds.volum: unknown key" in message
    assert 'display.size: expected WIDTHxHEIGHT such as "800x480", found "big"' in message
    assert "scanners[1].url: no debounce in the URL" in message
    assert 'scanners[2].role: expected one of card, book, any, found "printer"' in message
    assert "colour: unknown key" in message


def test_the_sync_table_is_checked_as_the_sync_worker_reads_it(tmp_path: Path) -> None:
    text = '[kiosk]\nid = "door-1"\ndatabase = "k.db"\n[sync]\nserver = "https://lib.example"\n'
    config = load(write(tmp_path, text))
    # The same settings `kiosk sync --config` uses: the database and id from [kiosk].
    assert config.sync.server == "https://lib.example"
    assert (config.sync.db, config.sync.kiosk_id) == (tmp_path / "k.db", "door-1")
    assert config.sync.retention_days == 30  # the shipped default
    assert "sync.anything: not a sync setting" in problems(tmp_path, "[sync]\nanything = 3\n")
    assert "sync.interval: expected a number from 1" in problems(tmp_path, "[sync]\ninterval = 0\n")


def test_each_problem_is_a_value_naming_its_key(tmp_path: Path) -> None:
    text = "[sync]\ninterval = 0\nverify = false\n[sounds]\nvolume = 3\n[display]\nfont-size = 9\n"
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    assert caught.value.path == tmp_path / "kiosk.toml"
    assert caught.value.bad_keys == (
        BadKey("sounds.volume", expected="a number from 0.0 to 1.0", found="3"),
        BadKey("display.font-size", said="unknown key"),
        BadKey("sync.interval", expected="a number from 1 to 86400", found="0"),
        BadKey("sync.verify", said=f"not a sync setting (known: {', '.join(SYNC_KEYS)})"),
    )
    # The message is made of them, each key named as before.
    assert str(caught.value) == f"{tmp_path / 'kiosk.toml'}: " + "; ".join(
        map(str, caught.value.bad_keys)
    )
    assert "sync.interval: expected a number from 1 to 86400, found 0" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, "[kiosk\n"))
    assert caught.value.syntax.startswith("Expected ']'") and caught.value.bad_keys == ()


def test_not_toml_and_not_there(tmp_path: Path) -> None:
    assert "not valid TOML" in problems(tmp_path, "[kiosk\n")
    with pytest.raises(ConfigError, match="cannot read the settings file"):
        load(tmp_path / "missing.toml")


def test_a_librarian_card_cannot_also_be_a_helper_card(tmp_path: Path) -> None:
    message = problems(tmp_path, '[admin]\nlibrarian_cards = ["T1"]\n[helpers]\ncards = ["T1"]\n')
    assert 'helpers.cards: "T1" is also a librarian card' in message


def test_the_pin_is_kept_only_as_a_salted_hash() -> None:
    stored = hash_pin("2468")
    assert "2468" not in stored
    assert re.fullmatch(r"pbkdf2_sha256\$200000\$[0-9a-f]{32}\$[0-9a-f]{64}", stored)
    assert pin_matches("2468", stored)
    assert not pin_matches("2469", stored)
    assert hash_pin("2468") != stored  # a new salt each time
    with pytest.raises(ValueError):
        hash_pin("12")


def test_a_pin_hash_that_is_not_one_is_refused(tmp_path: Path) -> None:
    assert "admin.pin_hash" in problems(tmp_path, '[admin]\npin_hash = "2468"\n')


def test_window_sizes() -> None:
    assert parse_size("1024x600") == (1024, 600)
    with pytest.raises(ValueError, match="--size"):
        parse_size("1024*600")
