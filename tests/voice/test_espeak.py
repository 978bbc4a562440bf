"""The espeak-ng adapter with the real program: each language in its own voice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.voice.espeak import Espeak, marked
from kiosk.voice.pack import FileState, state_of


@pytest.fixture(autouse=True)
def _espeak_ng() -> None:
    # A skip would read as a pass: deploy/test.sh installs espeak-ng.
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: deploy/test.sh installs it (apt_need espeak-ng)")


def phonemes(espeak: Espeak, language: str, text: str) -> str:
    command = [*espeak.voice(language), "-m", "-q", "-x", marked(text, language)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_chinese_is_said_in_mandarin_not_as_english_words(tmp_path: Path) -> None:
    # Debian's plain "cmn" voice read 借好了 as "jie four hao three le five", in English.
    said = phonemes(Espeak(tmp_path), "zh_CN", "借好了！《小王子》")
    assert "(en)" not in said
    assert said.split("_|")[0].strip().endswith("51")  # jiè: the falling fourth tone


def test_english_is_said_in_english(tmp_path: Path) -> None:
    assert "pr'Ins" in phonemes(Espeak(tmp_path), "en", "The Little Prince")


def test_a_chinese_name_in_an_english_visit_is_said_in_mandarin(tmp_path: Path) -> None:
    said = phonemes(Espeak(tmp_path), "en", "Hello, 子乐! Borrowed: 小王子 & more.")
    assert "tS'aIni:z" not in said  # the English voice says "Chinese letter" for each one
    assert "h@l'oU" in said and "l'@51" in said and "w'A35N" in said  # hello, lè, wáng
    english = phonemes(Espeak(tmp_path), "zh_CN", "借好了！Harry Potter")
    assert "h'ari p'0t3" in english


def test_a_title_that_looks_like_an_option_is_said_and_made_once(tmp_path: Path) -> None:
    espeak = Espeak(tmp_path)
    first = espeak.start("-v en --help", "en")
    assert first is not None
    made = first.wait()
    assert made is not None and state_of(made) is FileState.OK
    again = espeak.start("-v en --help", "en")
    assert again is not None and again.wait() == made  # kept: not made a second time
