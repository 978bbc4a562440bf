"""The kiosk's voice as the app uses it: every screen from the door, spoken when it is news.

``hear`` runs on the door's thread, where the desk's answers come out and the roster may be
read, and costs a comparison, a look-up of the listener's grade and a note to the speaker's
thread, which makes and plays the sound (kiosk/voice/speaker.py).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from kiosk.core.models import Reader
from kiosk.desk.facts import Facts
from kiosk.voice.espeak import Espeak
from kiosk.voice.hearing import Hearing
from kiosk.voice.pack import VoicePack
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.speaker import Player, Speaker

logger = logging.getLogger(__name__)
ReaderOf = Callable[[str], Reader | None]


class Announcer:
    def __init__(
        self,
        settings: VoiceSettings,
        speaker: Speaker,
        reader_of: ReaderOf,
        *,
        scratch: Path | None = None,  # espeak-ng's folder, to remove at the end
    ) -> None:
        self.settings, self.speaker, self._reader_of = settings, speaker, reader_of
        self._hearing = Hearing()
        self._listener: tuple[str, Reader | None] | None = None  # one visit, one look-up
        self._scratch = scratch

    def hear(self, facts: Facts, at: float) -> None:
        """``facts`` are on the screen now; ``at`` is the scan's (or the clock's) monotonic time."""
        try:
            heard = self._hearing.hear(facts, at)
            if heard is None:
                return
            if self.settings.speaks_to(self._reader(heard.card)):
                self.speaker.say(heard.line)
            else:
                self.speaker.hush()  # the answer before it is not carried on over this one
        except Exception:  # a sentence the voice cannot put together never stops the door
            logger.exception("the voice could not hear an answer")

    def _reader(self, card: str | None) -> Reader | None:
        if card is None:
            return None
        if self._listener is None or self._listener[0] != card:
            self._listener = (card, self._reader_of(card))
        return self._listener[1]

    def stop(self) -> None:
        self.speaker.stop()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def open_voice(
    settings: VoiceSettings, player: Player, reader_of: ReaderOf, folder: Path | None = None
) -> Announcer:
    """The voice of ``settings`` (started), speaking through ``player``; espeak-ng's files go
    to ``folder`` (a new temporary folder by default)."""
    made = folder if folder is not None else Path(tempfile.mkdtemp(prefix="kiosk-voice-"))
    speaker = Speaker(player, VoicePack(settings.pack), Espeak(made), settings.volume)
    speaker.start()
    return Announcer(settings, speaker, reader_of, scratch=made if folder is None else None)
