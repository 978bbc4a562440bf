"""The three sounds (success, refusal, attention): small WAV files made by tools/make_sounds.py."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.core.audio import SoundLoader

logger = logging.getLogger(__name__)
FOLDER = Path(__file__).parent / "sounds"
NAMES = ("success", "refusal", "attention")


class Sounds:
    def __init__(self, enabled: bool, volume: float) -> None:
        self._sounds: dict[str, Any] = {}
        if not enabled or volume <= 0:
            return
        for name in NAMES:
            sound = SoundLoader.load(str(FOLDER / f"{name}.wav"))
            if sound is None:
                # No audio device is no reason to stop lending books.
                logger.warning(
                    "cannot play %s.wav (no audio output?); the kiosk stays silent", name
                )
                continue
            sound.volume = volume
            self._sounds[name] = sound

    def play(self, name: str | None) -> None:
        sound = self._sounds.get(name or "")
        if sound is not None:
            sound.stop()
            sound.play()
