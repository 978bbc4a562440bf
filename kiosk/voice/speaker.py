"""The speaker's own thread: lines in, sound files made and handed to the player.

Only the newest line waits: one that came while another was being made replaces it, and a line
made after a newer one came is dropped unheard, so speech never runs behind the screen. Handing
a line to the player cuts off whatever it was playing. Nothing here blocks the caller: ``say``
and ``hush`` only leave a note for the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.voice.espeak import VOICES, Espeak, Synthesis
from kiosk.voice.lines import Line, Piece
from kiosk.voice.pack import VoicePack, file_name

logger = logging.getLogger(__name__)
KEPT_SAID = 64
WARM_UP = "1"  # a word every voice has


class Player(Protocol):
    """Plays WAV files one after the other; a new ``play`` or ``stop`` cuts the last one off."""

    def play(self, sounds: Sequence[Path], volume: float) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Sound:
    """One piece as it was heard: from the pack (its file), or made by espeak-ng."""

    text: str
    source: str  # "pack" | "espeak-ng"
    file: str  # the pack's LANGUAGE/KEY.wav; "" for espeak-ng's


@dataclass(frozen=True)
class Said:
    """A line handed to the player (the scripted mode writes these into NNN.json)."""

    sentence: str
    language: str
    sounds: tuple[Sound, ...]
    handed: float  # time.perf_counter() when the player got it


class _Hush:
    pass


class Speaker:
    def __init__(self, player: Player, pack: VoicePack, espeak: Espeak, volume: float) -> None:
        self.player, self.pack, self.espeak, self.volume = player, pack, espeak, volume
        # The last lines handed over, and how many in all (a kiosk speaks all day: kept short).
        self.said: deque[Said] = deque(maxlen=KEPT_SAID)
        self.said_count = 0
        self._next: Line | _Hush | None = None
        self._asked = 0  # lines and hushes asked for, and those the thread is done with
        self._done = 0
        self._stopping = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)

    # -- any thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def say(self, line: Line) -> None:
        self._ask(line)

    def hush(self) -> None:
        """Stop speaking: a new answer that is not for this listener's ears."""
        self._ask(_Hush())

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        self._thread.join(timeout=10)

    @property
    def idle(self) -> bool:
        """Everything asked for is made and handed over, or dropped (the scripted mode waits)."""
        with self._ready:
            return self._asked == self._done

    def wait_idle(self, timeout: float) -> bool:
        """Block until :attr:`idle` (a test's or a command's way to wait; never the app's)."""
        with self._ready:
            return self._ready.wait_for(lambda: self._asked == self._done, timeout)

    # -- the speaker's thread -----------------------------------------------------------------

    def _ask(self, what: Line | _Hush) -> None:
        with self._ready:
            if self._next is not None:
                self._done += 1  # replaced before it was begun: never heard
            self._next = what
            self._asked += 1
            self._ready.notify_all()

    def _stale(self) -> bool:
        with self._ready:
            return self._next is not None or self._stopping

    def _run(self) -> None:
        self._warm_up()
        while True:
            with self._ready:
                while self._next is None and not self._stopping:
                    self._ready.wait()
                if self._stopping:
                    return
                what, self._next = self._next, None
                assert what is not None
            try:
                if isinstance(what, _Hush):
                    self.player.stop()
                else:
                    self._speak(what)
            except Exception:  # speech must never take the kiosk down with it
                logger.exception("a line could not be spoken")
            finally:
                with self._ready:
                    self._done += 1
                    self._ready.notify_all()

    def _speak(self, line: Line) -> None:
        # Every sound espeak-ng must make is started at once: they run side by side, and the
        # first sound waits only for the ones before it.
        pieces = self._sounds_of(line)
        making = [self._source(piece, line.language) for piece in pieces]
        files: list[Path] = []
        sounds: list[Sound] = []
        for piece, (made, recorded) in zip(pieces, making, strict=True):
            if self._stale():
                for later, _ in making:
                    if isinstance(later, Synthesis):
                        later.cancel()
                return  # a newer answer is on the screen: this one is not heard
            path = made if isinstance(made, Path) else made.wait() if made else None
            if path is None:
                continue  # neither the pack nor espeak-ng can say it: the rest is still said
            files.append(path)
            sounds.append(Sound(piece.text, "pack" if recorded else "espeak-ng", recorded))
        if not files or self._stale():
            return
        self.player.play(files, self.volume)
        self.said.append(Said(line.sentence, line.language, tuple(sounds), time.perf_counter()))
        self.said_count += 1

    def _warm_up(self) -> None:
        """Before the first answer: one short sentence in each voice, unheard, so the first
        child's answer does not wait for espeak-ng's dictionaries to come off the SD card."""
        for language in VOICES:
            if self._stale():
                return
            made = self.espeak.start(WARM_UP, language)
            if made is not None:
                made.wait()

    def _sounds_of(self, line: Line) -> list[Piece]:
        """The line's pieces with each run of pieces the pack cannot say made one: one espeak-ng
        run says them with a sentence's intonation, and costs one process, not several."""
        merged: list[Piece] = []
        for piece in line.pieces:
            if self._recorded(piece, line.language):
                merged.append(piece)
            elif merged and not self._recorded(merged[-1], line.language):
                merged[-1] = Piece(f"{merged[-1].text} {piece.text}")
            else:
                merged.append(Piece(piece.text))
        if len(merged) == 1 and merged[0].key is None:
            return [Piece(line.sentence)]  # all of it by espeak-ng: the sentence as written
        return merged

    def _recorded(self, piece: Piece, language: str) -> bool:
        return piece.key is not None and self.pack.path(language, piece.key) is not None

    def _source(self, piece: Piece, language: str) -> tuple[Path | Synthesis | None, str]:
        """The pack's recording if it has a good one, else espeak-ng's (being made)."""
        if piece.key is not None:
            recorded = self.pack.path(language, piece.key)
            if recorded is not None:
                return recorded, file_name(language, piece.key)
        return self.espeak.start(piece.text, language), ""
