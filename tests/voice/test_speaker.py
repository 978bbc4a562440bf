"""The speaker's thread with the real espeak-ng and a real pack: what reaches the player, in
which order, and what is dropped because a newer answer came."""

from __future__ import annotations

import shutil
import subprocess
import threading
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from kiosk.voice.espeak import Espeak
from kiosk.voice.lines import Line, Piece
from kiosk.voice.pack import FileState, VoicePack, state_of
from kiosk.voice.speaker import Speaker


@pytest.fixture(autouse=True)
def _espeak_ng() -> None:
    # A skip would read as a pass: deploy/test.sh installs espeak-ng.
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: deploy/test.sh installs it (apt_need espeak-ng)")


WAIT = 10.0  # seconds before a test gives up on the thread (a hang, not a timing)


class HeldPlayer:
    """Test controls: ``hold()`` keeps the speaker's thread inside play() until ``release()``."""

    def __init__(self) -> None:
        self.played: list[list[Path]] = []
        self.stops = 0
        self.entered = threading.Event()
        self._gate = threading.Event()
        self._gate.set()

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def play(self, sounds: Sequence[Path], volume: float) -> None:
        self.played.append(list(sounds))
        self.entered.set()
        assert self._gate.wait(WAIT)

    def stop(self) -> None:
        self.stops += 1


def line(*pieces: Piece) -> Line:
    return Line("zh_CN", pieces, "".join(p.text for p in pieces))


def wait_idle(speaker: Speaker) -> None:
    assert speaker.wait_idle(WAIT)


def make_speaker(tmp: Path, pack: Path | None = None) -> tuple[Speaker, HeldPlayer]:
    player = HeldPlayer()
    made = tmp / "made"
    made.mkdir()
    speaker = Speaker(player, VoicePack(pack), Espeak(made), 0.8)
    speaker.start()
    return speaker, player


def test_with_no_pack_espeak_ng_says_the_whole_sentence_at_once(tmp_path: Path) -> None:
    speaker, player = make_speaker(tmp_path)
    speaker.say(Line("zh_CN", (Piece("子乐"), Piece("你好！", "voice.hello")), "子乐，你好！"))
    wait_idle(speaker)
    speaker.stop()
    [[made]] = player.played  # one sound, said with one sentence's intonation
    assert state_of(made) is FileState.OK
    assert [(s.text, s.source) for s in speaker.said[0].sounds] == [("子乐，你好！", "espeak-ng")]


def test_the_pack_speaks_first_and_a_silent_file_falls_back_to_espeak(tmp_path: Path) -> None:
    pack = tmp_path / "pack" / "zh_CN"
    pack.mkdir(parents=True)
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(pack / "voice.hello.wav"), "你好"],
                   check=True)  # fmt: skip
    with wave.open(str(pack / "voice.borrowed.ok.wav"), "wb") as silent:
        silent.setnchannels(1)
        silent.setsampwidth(2)
        silent.setframerate(16000)
        silent.writeframes(b"\x00\x00" * 16000)  # a recording with the microphone off
    speaker, player = make_speaker(tmp_path, tmp_path / "pack")
    speaker.say(line(Piece("子乐"), Piece("你好！", "voice.hello")))
    wait_idle(speaker)
    speaker.say(line(Piece("借好了！", "voice.borrowed.ok"), Piece("小王子")))
    wait_idle(speaker)
    speaker.stop()
    hello, book = speaker.said
    assert [(s.source, s.file) for s in hello.sounds] == [
        ("espeak-ng", ""),
        ("pack", "zh_CN/voice.hello.wav"),
    ]
    assert player.played[0][1] == pack / "voice.hello.wav"
    assert [s.source for s in book.sounds] == ["espeak-ng"]  # the silent file's sentence too


def test_answers_that_came_while_it_spoke_are_dropped_but_the_newest(tmp_path: Path) -> None:
    speaker, player = make_speaker(tmp_path)
    player.hold()
    speaker.say(line(Piece("第一本")))
    assert player.entered.wait(WAIT)  # the first is playing; three more answers come meanwhile
    for title in ("第二本", "第三本", "第四本"):
        speaker.say(line(Piece(title)))
    assert not speaker.idle
    player.release()
    wait_idle(speaker)
    speaker.stop()
    assert [s.sentence for s in speaker.said] == ["第一本", "第四本"]


def test_an_answer_for_someone_else_cuts_the_speech_off(tmp_path: Path) -> None:
    speaker, player = make_speaker(tmp_path)
    speaker.say(line(Piece("借好了")))
    wait_idle(speaker)
    speaker.hush()
    wait_idle(speaker)
    speaker.stop()
    assert len(player.played) == 1 and player.stops == 1


def test_without_espeak_ng_the_pack_still_says_what_it_has(tmp_path: Path) -> None:
    pack = tmp_path / "pack" / "zh_CN"
    pack.mkdir(parents=True)
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(pack / "voice.hello.wav"),
                    "你好"], check=True)  # fmt: skip
    player = HeldPlayer()
    speaker = Speaker(player, VoicePack(tmp_path / "pack"), Espeak(tmp_path, "no-espeak"), 0.8)
    speaker.start()
    speaker.say(line(Piece("子乐"), Piece("你好！", "voice.hello")))
    wait_idle(speaker)
    speaker.stop()
    assert player.played == [[pack / "voice.hello.wav"]]  # the name is left out, not the rest
