"""Reading import files from disk: the paths the `kiosk import` command is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.policy_file import PolicyError
from kiosk.imports import read_catalog, read_policy, read_roster

EXAMPLES = Path(__file__).resolve().parents[2] / "kiosk" / "sample"
POLICY = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")


def test_errors_name_the_file_as_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes("card,name,class\n1,李明,3-9-9\n".encode("gb18030"))
    result = read_roster(path)
    assert result.file == str(path)
    assert [str(e) for e in result.errors] == [
        f'{path}:2: class: expected a class such as 3-2 or 三年级(2)班, found "3-9-9"'
    ]


def test_a_missing_file_is_the_operating_systems_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_catalog(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    "data",
    [
        POLICY.encode("utf-8"),
        POLICY.encode("utf-8-sig"),  # Windows Notepad
        POLICY.replace("\n", "\r\n").encode("gb18030"),  # Notepad's "ANSI" on a Chinese Windows
    ],
)
def test_the_policy_file_reads_however_notepad_saved_it(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(data)
    policy = read_policy(path)
    assert policy.library_name == "阳光小学图书室"
    assert len(policy.windows) == 5


def test_a_policy_file_that_is_not_text_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b"[library]\x00\x00")
    with pytest.raises(PolicyError) as caught:
        read_policy(path)
    assert caught.value.problems == (
        f'{path}:1: file: expected text without NUL characters, found "[library]\\x00\\x00"',
    )
