"""What the kiosk says aloud, as pieces: recorded sentences from the pack, and the rest.

A spoken line is the screen's answer cut at its placeholders: the fixed words are pieces with a
key (a school may record them: ``PACK/<language>/<key>.wav``), a name or a title is a piece
without one (only espeak-ng can say it). ``{count}`` is not cut out: "借好了3本" is one recording
per count up to :data:`MOST_COUNTED`, so a merged burst sounds like one sentence.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from kiosk.i18n import catalogue

MOST_COUNTED = 9  # "借好了9本" is still a recording; more are said by espeak-ng
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What is left between placeholders that is worth no recording: punctuation and book marks.
_SILENT = set(string.punctuation + string.whitespace + "，。！？、；：“”‘’《》（）…·")
_JOINING = "，、；：,;: "  # what joins the words to a name before them: not recorded
# Marks that belong to the title beside them, not to the words a school records.
_TITLE_MARKS = "《》“”‘’「」()（）\"' "


@dataclass(frozen=True)
class Piece:
    text: str
    key: str | None = None  # the pack's file for it; None: only espeak-ng says it


@dataclass(frozen=True)
class Line:
    """One answer, spoken: the sentence a child hears, in the order of its pieces."""

    language: str
    pieces: tuple[Piece, ...]
    sentence: str  # the whole of it, as the screen would write it


def template(key: str, language: str) -> tuple[str, str] | None:
    """The spoken template for ``key``: the voice catalogue's own wording first (shorter than the
    screen's, fewer numbers), else the screen's sentence. (key it is filed under, template)."""
    spoken = catalogue(language, "voice").get(f"voice.{key}")
    if spoken is not None:
        return f"voice.{key}", spoken
    shown = catalogue(language).get(key)
    return (key, shown) if shown is not None else None


def spoken(key: str, text: str, language: str, values: dict[str, object]) -> Line:
    """``text`` (the template filed under ``key``) with ``values``, cut into pieces."""
    count = values.get("count")
    if "{count}" in text and isinstance(count, int):
        text = text.replace("{count}", str(count))
        key = f"{key}.{count}" if count <= MOST_COUNTED else ""
    parts = _PLACEHOLDER.split(text)  # fixed, name, fixed, name, ..., fixed
    fixed = [p for p in parts[0::2] if not set(p) <= _SILENT]
    pieces: list[Piece] = []
    number = 0
    for i, part in enumerate(parts):
        if i % 2:
            value = str(values.get(part, "")).strip()
            if value:
                pieces.append(Piece(value))
        elif not set(part) <= _SILENT:
            number += 1
            name = key if len(fixed) == 1 else f"{key}.{number}"
            words = part.strip(_TITLE_MARKS).lstrip(_JOINING)
            pieces.append(Piece(words, name if key else None))
    sentence = _PLACEHOLDER.sub(lambda m: str(values.get(m[1], "")), text)
    return Line(language, tuple(pieces), sentence)


def recordable(language: str) -> list[tuple[str, str]]:
    """Every (key, sentence) a pack may hold for ``language``: the list a school records."""
    found: dict[str, str] = {}
    for key, text in _templates(language):
        counts = range(2, MOST_COUNTED + 1) if "{count}" in text else (None,)
        for count in counts:
            values: dict[str, object] = {} if count is None else {"count": count}
            for piece in spoken(key, text, language, values).pieces:
                if piece.key is not None:
                    found.setdefault(piece.key, piece.text)
    return sorted(found.items())


def _templates(language: str) -> list[tuple[str, str]]:
    """What the kiosk may say: its own spoken wording, and every answer of the screen's that it
    speaks as shown: the engine's answers to a scan and the kiosk's own notices (the greeting
    and the goodbye are the voice's own; an ignored scan says nothing)."""
    own = [(k, t) for k, t in catalogue(language, "voice").items() if k.startswith("voice.")]
    overridden = {k.removeprefix("voice.") for k, _ in own}
    shown = [
        (k, t)
        for k, t in catalogue(language).items()
        if k not in overridden
        and (k.startswith("ui.notice.") or not k.startswith(("ui.", "session.", "ignored.")))
    ]
    return own + shown
