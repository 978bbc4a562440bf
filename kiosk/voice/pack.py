"""A voice pack: a folder a school records itself, ``PACK/<language>/<key>.wav``, a file a sentence.

Any PCM WAV plays (the player converts the rate); a file that is missing, cannot be read, or is
silent (a recording that went wrong) is not used, and that sentence is said by espeak-ng
instead. ``kiosk doctor`` names such files (kiosk/health/voice_checks.py).
"""

from __future__ import annotations

import enum
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from kiosk.voice.lines import recordable

# Peaks below this share of full scale are silence: a recording made with the microphone off,
# or a file of zeros.
SILENT_PEAK = 0.01
_MOST_SECONDS_READ = 30  # a sentence is a few seconds; a bigger file is read no further


class FileState(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    UNREADABLE = "unreadable"  # not a PCM WAV file, cut short, or not readable by the kiosk
    SILENT = "silent"


@dataclass(frozen=True)
class PackFile:
    language: str
    key: str
    path: Path
    state: FileState


def file_name(language: str, key: str) -> str:
    return f"{language}/{key}.wav"


def state_of(path: Path) -> FileState:
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, frames = wav.getsampwidth(), wav.getnchannels(), wav.getnframes()
            rate = wav.getframerate()
            data = wav.readframes(min(frames, rate * _MOST_SECONDS_READ))
    except FileNotFoundError:
        return FileState.MISSING
    except (OSError, EOFError, wave.Error):
        return FileState.UNREADABLE
    if channels < 1 or width not in (1, 2, 3, 4):
        return FileState.UNREADABLE
    if not frames or not data:
        return FileState.SILENT  # a header and nothing to hear
    return FileState.SILENT if _peak(data, width) < SILENT_PEAK else FileState.OK


def _peak(data: bytes, width: int) -> float:
    """The loudest sample, as a share of full scale."""
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        return max(abs(b - 128) for b in data) / 128
    if width == 3:  # 24-bit: the top two bytes of each sample are enough to hear
        data = b"".join(data[i + 1 : i + 3] for i in range(0, len(data) - 2, 3))
        width = 2
    samples = array("h" if width == 2 else "i")
    samples.frombytes(data[: len(data) - len(data) % width])
    full = 32768 if width == 2 else 2**31
    return max((abs(s) for s in samples), default=0) / full


class VoicePack:
    """The recorded sentences, checked on first use and again when a file changes."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._known: dict[Path, tuple[tuple[float, int], FileState]] = {}

    def path(self, language: str, key: str) -> Path | None:
        """The recording of ``key``, or None when the pack has no usable one."""
        if self.folder is None:
            return None
        path = self.folder / file_name(language, key)
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime, stat.st_size)
        known = self._known.get(path)
        if known is None or known[0] != stamp:
            known = (stamp, state_of(path))
            self._known[path] = known
        return path if known[1] is FileState.OK else None


def survey(folder: Path, languages: tuple[str, ...]) -> list[PackFile]:
    """Every sentence the kiosk may say, and what the pack has for it."""
    return [
        PackFile(language, key, path, state_of(path))
        for language in languages
        for key, _ in recordable(language)
        for path in [folder / file_name(language, key)]
    ]
