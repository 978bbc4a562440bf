"""The real app under Xvfb with the voice on: what was spoken for each line of a script (the
``spoken`` of NNN.json), with real espeak-ng and SDL's dummy audio output."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.ui.app_runs import Run, run_app, school


@pytest.fixture(autouse=True)
def _espeak_ng() -> None:
    # A skip would read as a pass: deploy/test.sh installs espeak-ng.
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: deploy/test.sh installs it (apt_need espeak-ng)")


NULL_AUDIO = {"SDL_AUDIODRIVER": "dummy"}  # a null sink: the app plays, nobody hears it


RECESS = "2026-11-23T10:05"  # the grades 3-6 break window: two books each


def run_with_voice(tmp: Path, script: str, voice: str, *, lang: str = "zh_CN") -> Run:
    db, config = school(tmp)
    config.write_text(config.read_text(encoding="utf-8") + voice, encoding="utf-8")
    return run_app(
        tmp, script, db=db, lang=lang, at=RECESS, extra=("--config", str(config)), env=NULL_AUDIO
    )


def spoken(run: Run, line: int) -> list[str]:
    return [s["sentence"] for s in run.shots[line - 1]["spoken"]]


def sounds(run: Run, line: int) -> list[dict[str, Any]]:
    return [sound for s in run.shots[line - 1]["spoken"] for sound in s["sounds"]]


VOICE = "\n[voice]\nenabled = true\ngrades = [1, 2, 3]\n"
# card, book, book in a burst, refused, Done, a return; then a grade-5 child and a teacher
SCRIPT = (
    "0 202430101\n2 0001002\n3 0001003\n5 0001031\n6 @done\n12 0001002\n"
    "40 202250101\n42 0001004\n44 T0001\n"
)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh_CN",
            ["子乐，你好！", "借好了！《小王子》", "借好了2本！", "这本书要在阅览室里看哦。",
             "再见，子乐！", "还好了，谢谢你！"],
        ),
        (
            "en",
            ["Hello, 子乐!", "Borrowed: 小王子.", "2 books borrowed!",
             "This book stays in the reading room.", "Goodbye, 子乐!", "Returned, thank you!"],
        ),
    ],
)  # fmt: skip
def test_every_answer_is_spoken_to_the_grades_chosen_and_no_one_else(
    tmp_path: Path, lang: str, expected: list[str]
) -> None:
    run = run_with_voice(tmp_path, SCRIPT, VOICE, lang=lang)
    assert run.status == 0, run.stderr
    heard = [spoken(run, n) for n in range(1, 7)]
    assert heard == [[sentence] for sentence in expected]
    assert spoken(run, 7) == spoken(run, 8) == spoken(run, 9) == []  # grade 5, a teacher
    names = [s for s in sounds(run, 1) if s["source"] == "espeak-ng"]
    assert any("子乐" in n["text"] for n in names)  # a name is made by espeak-ng


def test_a_recorded_pack_is_played_and_a_broken_file_is_said_by_espeak(tmp_path: Path) -> None:
    pack = tmp_path / "pack" / "zh_CN"
    pack.mkdir(parents=True)
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(pack / "voice.hello.wav"), "你好"],
                   check=True)  # fmt: skip
    (pack / "voice.borrowed.ok.wav").write_bytes(b"RIFF not really a wave file")
    voice = f'\n[voice]\nenabled = true\ngrades = [3]\npack = "{tmp_path / "pack"}"\n'
    run = run_with_voice(tmp_path, "0 202430101\n2 0001002\n", voice)
    assert run.status == 0, run.stderr
    assert sounds(run, 1) == [
        {"text": "子乐", "source": "espeak-ng", "file": ""},
        {"text": "你好！", "source": "pack", "file": "zh_CN/voice.hello.wav"},
    ]
    assert [(s["text"], s["source"]) for s in sounds(run, 2)] == [
        ("借好了！《小王子》", "espeak-ng")
    ]


def test_with_the_voice_off_nothing_is_spoken(tmp_path: Path) -> None:
    run = run_with_voice(tmp_path, "0 202430101\n2 0001002\n", "")
    assert run.status == 0, run.stderr
    assert spoken(run, 1) == spoken(run, 2) == []


TOUR = (REPO / "tests" / "ui" / "scripts" / "tour.script").read_text(encoding="utf-8")
EVERYONE = '\n[voice]\nenabled = true\ngrades = [1, 2, 3, 4, 5, 6, "teachers"]\n'
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_tour_speaks_each_answer_to_a_child_once_and_nothing_to_the_grown_ups(
    tmp_path: Path, lang: str
) -> None:
    db, config = school(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + EVERYONE, encoding="utf-8")
    run = run_app(tmp_path, TOUR, db=db, lang=lang, extra=("--config", str(config)), env=NULL_AUDIO)
    assert run.status == 0, run.stderr
    # card, book, a book over the limit, Done, a return, "damaged", a card nobody has
    for line in range(2, 9):
        [sentence] = spoken(run, line)
        assert HAN.search(sentence) if lang == "zh_CN" else re.search("[A-Za-z]{3}", sentence)
    assert spoken(run, 5) == (["再见，子乐！"] if lang == "zh_CN" else ["Goodbye, 子乐!"])
    # the idle screen at the start, the PIN, admin, the fault screen, the helper: silent
    assert [line for line in [1, *range(9, 19)] if spoken(run, line)] == []
