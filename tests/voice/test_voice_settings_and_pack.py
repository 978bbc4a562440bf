"""[voice] in kiosk.toml, `kiosk voice record-list` and doctor's voice check, on real files."""

from __future__ import annotations

import json
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import ConfigError, load
from kiosk.core.models import ClassName, Reader, ReaderRole
from kiosk.health.machine import Completed
from tests.health.conftest import Pi, make_pi


def write_wav(path: Path, samples: bytes, *, width: int = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(width)
        wav.setframerate(16000)
        wav.writeframes(samples)


LOUD = (b"\x00\x40" + b"\x00\xc0") * 4000  # a square wave at half scale
SILENT = b"\x01\x00" * 8000


def config(tmp: Path, voice: str) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(f"[voice]\n{voice}\n", encoding="utf-8")
    return path


def test_the_grades_decide_who_hears_and_teachers_only_when_named(tmp_path: Path) -> None:
    child = Reader("1", "明安", ReaderRole.STUDENT, ClassName(1, 1))
    older = Reader("5", "若曦", ReaderRole.STUDENT, ClassName(5, 1))
    teacher = Reader("T", "武老师", ReaderRole.TEACHER)
    voice = load(config(tmp_path, "enabled = true\ngrades = [1, 2]")).voice
    assert [voice.speaks_to(r) for r in (child, older, teacher, None)] == [True, False, False, True]
    voice = load(config(tmp_path, 'enabled = true\ngrades = [5, "teachers"]')).voice
    assert [voice.speaks_to(r) for r in (child, older, teacher)] == [False, True, True]
    assert not load(None).voice.speaks_to(child)  # shipped off


def test_bad_voice_keys_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(config(tmp_path, 'enabled = "yes"\ngrades = [0, "parents"]\nvolume = 2\nloud = 1'))
    assert [k.key for k in error.value.bad_keys] == [
        "voice.loud",
        "voice.grades",
        "voice.grades",
        "voice.volume",
        "voice.enabled",
    ]


def test_record_list_prints_each_file_and_what_the_pack_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack"
    write_wav(pack / "zh_CN/voice.hello.wav", LOUD)
    write_wav(pack / "zh_CN/voice.returned.ok.wav", SILENT)
    (pack / "zh_CN/voice.goodbye.wav").write_text("not a wave")
    path = config(tmp_path, 'enabled = true\npack = "pack"')
    assert main(["voice", "record-list", "--lang", "zh_CN", "--config", str(path), "--json"]) == 0
    lines = {d["file"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert lines["zh_CN/voice.hello.wav"]["sentence"] == "你好！"
    assert lines["zh_CN/voice.borrowed.many.3.wav"]["sentence"] == "借好了3本！"
    assert lines["zh_CN/refused.not_for_loan.wav"]["sentence"] == "这本书要在阅览室里看哦。"
    states = {name: d["state"] for name, d in lines.items()}
    assert states["zh_CN/voice.hello.wav"] == "ok"
    assert states["zh_CN/voice.returned.ok.wav"] == "silent"
    assert states["zh_CN/voice.goodbye.wav"] == "unreadable"
    assert states["zh_CN/voice.borrowed.ok.wav"] == "missing"


@dataclass
class SpeakingPi(Pi):
    espeak: bool = True

    def _run(self, argv: Sequence[str]) -> Completed:
        if argv[0] == "espeak-ng":
            return Completed(0, "eSpeak NG text-to-speech") if self.espeak else Completed(127)
        return super()._run(argv)


def test_doctor_names_the_pack_files_that_cannot_be_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pi = SpeakingPi(make_pi(tmp_path / "pi").root, capsys=capsys)
    pack = pi.file("/var/lib/library-kiosk/voice")
    write_wav(pack / "zh_CN/voice.hello.wav", LOUD)
    write_wav(pack / "zh_CN/voice.borrowed.ok.wav", SILENT)
    (pack / "en/voice.hello.wav").parent.mkdir(parents=True)
    (pack / "en/voice.hello.wav").write_bytes(b"RIFF\x00\x00")
    pi.set_config("[voice]\nenabled = false", "[voice]\nenabled = true")
    pi.set_config('pack = ""', 'pack = "/var/lib/library-kiosk/voice"')
    status, results = pi.doctor()
    voice = [r for r in results if r["check"] == "voice"]
    assert status == 1
    assert [(r["status"], r["reason"]) for r in voice] == [
        ("fail", "bad_files"),
        ("ok", "missing_files"),
    ]
    bad = voice[0]["params"]["files"]  # type: ignore[index]
    assert bad == "zh_CN/voice.borrowed.ok.wav (silent), en/voice.hello.wav (unreadable)"
    pi.espeak = False
    _, results = pi.doctor()
    voice = [r for r in results if r["check"] == "voice"]
    assert ("fail", "no_espeak") in [(r["status"], r["reason"]) for r in voice]
