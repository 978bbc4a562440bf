"""The voice's player: WAV files through Kivy's audio, the output the chimes already use.

One audio path for the whole app: on a Pi without a sound server a second program playing to
the same card (aplay beside SDL) may find it busy. The files are loaded (read and converted to
the card's format, a few milliseconds) on the speaker's thread; only starting and stopping them
is passed to the UI thread through the Kivy clock, where it costs next to nothing. The pieces of
a line follow each other by their lengths on the clock. With no audio device the voice is silent
and says so once.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.audio import SoundLoader

logger = logging.getLogger(__name__)
PAUSE_SECONDS = 0.08  # between a name and the words after it, as a person breathes
WARM_UP = Path(__file__).parent / "sounds" / "success.wav"


class KivyPlayer:
    def __init__(self) -> None:
        self._playing: list[Any] = []
        self._next: Any = None  # the clock event that starts the next piece
        self._silent_said = False
        # time.perf_counter() at each line's first sound (bench/bench_ui.py reads them).
        self.first_sounds: deque[float] = deque(maxlen=64)

    def prepare(self) -> None:
        """On the UI thread, at start: SDL's audio is opened there, not on the speaker's."""
        sound = SoundLoader.load(str(WARM_UP))
        if sound is not None:
            sound.unload()

    # -- the speaker's thread ------------------------------------------------------------------

    def play(self, sounds: Sequence[Path], volume: float) -> None:
        loaded = []
        for path in sounds:
            sound = SoundLoader.load(str(path))
            if sound is None:
                if not self._silent_said:
                    logger.warning("cannot play %s (no audio output?); the voice is silent", path)
                    self._silent_said = True
                continue
            sound.volume = volume
            loaded.append(sound)
        Clock.schedule_once(lambda _dt: self._play(loaded), -1)

    def stop(self) -> None:
        Clock.schedule_once(lambda _dt: self._stop(), -1)

    # -- the UI thread ----------------------------------------------------------------------

    def _play(self, loaded: list[Any]) -> None:
        self._stop()
        self._playing = loaded
        self._start(0)

    def _start(self, index: int) -> None:
        if index >= len(self._playing):
            return
        sound = self._playing[index]
        sound.play()
        if index == 0:
            self.first_sounds.append(time.perf_counter())
        after = max(float(sound.length or 0), 0.0) + PAUSE_SECONDS
        self._next = Clock.schedule_once(lambda _dt: self._start(index + 1), after)

    def _stop(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None
        for sound in self._playing:
            sound.stop()
            sound.unload()
        self._playing = []
