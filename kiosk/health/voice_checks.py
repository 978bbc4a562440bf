"""``kiosk doctor``'s voice check: can the kiosk speak as [voice] asks, and which pack files fail.

A pack need not have every sentence (espeak-ng says what it lacks), so missing files are named
but pass; a file that is there and cannot be used (not a PCM WAV, cut short, silent) fails: a
recording went wrong, and the kiosk is saying that sentence with espeak-ng instead.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.config import ConfigError, load
from kiosk.health.machine import Machine
from kiosk.health.results import Result, fail, ok
from kiosk.i18n import LANGUAGES
from kiosk.voice.espeak import PROGRAM
from kiosk.voice.pack import FileState, survey

NAMED = 8  # files named in the sentence; the JSON's params have them all


def check_voice(machine: Machine, config_path: Path) -> list[Result]:
    try:
        settings = load(config_path).voice
    except ConfigError:
        return []  # the config check has said what is wrong with the file
    if not settings.enabled:
        return [ok("voice", "off")]
    results: list[Result] = []
    if machine.run([PROGRAM, "--version"]).returncode != 0:
        results.append(fail("voice", "no_espeak", program=PROGRAM))
    if settings.pack is None:
        return results or [ok("voice", "espeak_only")]
    folder = machine.path(settings.pack) if settings.pack.is_absolute() else settings.pack
    if not folder.is_dir():
        return [*results, fail("voice", "no_pack", path=settings.pack)]
    files = survey(folder, LANGUAGES)
    bad = [f for f in files if f.state in (FileState.UNREADABLE, FileState.SILENT)]
    missing = [f for f in files if f.state is FileState.MISSING]
    where = {"path": settings.pack, "recorded": len(files) - len(missing), "of": len(files)}
    if bad:
        shown = [f"{f.language}/{f.key}.wav ({f.state.value})" for f in bad]
        results.append(fail("voice", "bad_files", files=_named(shown), count=len(bad), **where))
    if missing:
        shown = [f"{f.language}/{f.key}.wav" for f in missing]
        results.append(ok("voice", "missing_files", files=_named(shown), **where))
    return results or [ok("voice", **where)]


def _named(files: list[str]) -> str:
    more = len(files) - NAMED
    return ", ".join(files[:NAMED]) + (f" … (+{more})" if more > 0 else "")
