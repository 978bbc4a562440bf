"""The ``[voice]`` table of kiosk.toml: whether the kiosk speaks, to whom, how loud, which pack.

Checked with the rest of the file by kiosk/config.py (every problem names its key); the
defaults are the shipped kiosk/kiosk.toml's, as for every other table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.models import Reader, ReaderRole
from kiosk.core.toml_checks import Checker

KEYS = ("enabled", "grades", "volume", "pack")
TEACHERS = "teachers"  # the word in voice.grades that lets teachers hear the answers too
_GRADES = f'a list of grades from 1 to 9, and "{TEACHERS}" if they should hear it too'


@dataclass(frozen=True)
class VoiceSettings:
    enabled: bool
    grades: frozenset[int]
    teachers: bool
    volume: float  # 0.0 to 1.0
    pack: Path | None  # a folder of recorded sentences; None: espeak-ng says everything

    def speaks_to(self, reader: Reader | None) -> bool:
        """Whether the answer is spoken to this reader. Nobody known (a card nobody has, a scan
        the scanner could not read) is spoken to: the one at the door may be the youngest."""
        if not self.enabled or self.volume <= 0:
            return False
        if reader is None:
            return True
        if reader.role is ReaderRole.TEACHER:
            return self.teachers
        grade = reader.effective_grade
        return grade is not None and grade in self.grades


def check_table(c: Checker, table: Mapping[str, Any], base: Path) -> VoiceSettings:
    """``table`` is the merged [voice] table (the school's keys over the shipped ones)."""
    grades: set[int] = set()
    teachers = False
    for value in c.items(table, "grades", "voice.grades"):
        if value == TEACHERS:
            teachers = True
        elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9:
            grades.add(value)
        else:
            c.bad("voice.grades", _GRADES, value)
    volume = table["volume"]
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 1:
        c.bad("voice.volume", "a number from 0.0 to 1.0", volume)
        volume = 0.0
    pack = table["pack"]
    folder: Path | None = None
    if not isinstance(pack, str) or "\x00" in pack:
        c.bad("voice.pack", "a folder path in quotes, or empty", pack)
    elif pack.strip():
        folder = Path(pack.strip()).expanduser()
        folder = folder if folder.is_absolute() else base / folder  # beside the file, as paths are
    return VoiceSettings(
        enabled=c.flag(table, "enabled", "voice.enabled", False),
        grades=frozenset(grades),
        teachers=teachers,
        volume=float(volume),
        pack=folder,
    )
