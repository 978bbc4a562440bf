"""espeak-ng (Debian's ``espeak-ng``), the only program that makes speech: what the pack lacks.

Each sentence is one ``espeak-ng -w FILE`` run (about 30 ms on the build machine), the text in
a file beside it (``-f``) so a title that starts with "-" is never read as an option. Made WAV
files are kept for the last few dozen sentences: a child's name is said again at the goodbye.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

logger = logging.getLogger(__name__)

PROGRAM = "espeak-ng"
# Debian 12's espeak-ng 1.51 turns Chinese characters into pinyin with tone numbers; its plain
# "cmn" voice then reads those as English ("jie four hao three le five"), while the
# "latin as pinyin" voice says them as Mandarin (jiè hǎo le).
VOICES = {"zh_CN": "cmn-latn-pinyin", "en": "en"}
# A child's name or a title in the other language's script is said in that language's voice
# (the English voice says each Chinese character as "Chinese letter"), marked up in SSML.
_OTHER_SCRIPT = {
    "en": (re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+"), VOICES["zh_CN"]),
    "zh_CN": (re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]"), VOICES["en"]),
}
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: the listeners are seven
KEPT = 64
TIMEOUT_SECONDS = 5.0
# Speech is made at a lower priority than the screen: where the cores are busy (a Pi drawing,
# the sync worker pushing) the answer is drawn first and said a moment later, never the other
# way round. coreutils' nice, on every Debian.
NICE = ["nice", "-n", "10"]  # a sentence takes tens of milliseconds; longer is a hung program


def marked(text: str, language: str) -> str:
    """``text`` as SSML for espeak-ng's ``-m``: escaped, other scripts in their own voice."""
    found = _OTHER_SCRIPT.get(language)
    if found is None:
        return escape(text)
    pattern, voice = found
    parts, at = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[at : match.start()]))
        parts.append(f'<voice name="{voice}">{escape(match.group())}</voice>')
        at = match.end()
    parts.append(escape(text[at:]))
    return "".join(parts)


class Synthesis:
    """One sentence being made; :meth:`wait` gives its WAV file, or None if it failed."""

    def __init__(
        self,
        path: Path,
        process: subprocess.Popen[bytes] | None,
        made: Callable[[Path], None] = lambda _path: None,
    ) -> None:
        self.path, self._process, self._made = path, process, made

    def wait(self) -> Path | None:
        process = self._process
        if process is None:
            return self.path if self.path.is_file() else None
        try:
            _, error = process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            logger.warning("espeak-ng took more than %s s for a sentence", TIMEOUT_SECONDS)
            return None
        self._process = None
        self.path.with_suffix(".txt").unlink(missing_ok=True)
        if process.returncode != 0:
            logger.warning("espeak-ng failed: %s", error.decode(errors="replace").strip())
            return None
        self._made(self.path)  # kept for the next time only once it is whole
        return self.path

    def cancel(self) -> None:
        """A newer answer came: this sentence will not be heard."""
        if self._process is not None:
            self._process.kill()
            self._process.communicate()
            self._process = None
            self.path.unlink(missing_ok=True)
            self.path.with_suffix(".txt").unlink(missing_ok=True)


class Espeak:
    def __init__(self, folder: Path, program: str = PROGRAM) -> None:
        self.folder, self.program = folder, program
        self._made: OrderedDict[tuple[str, str], Path] = OrderedDict()
        self._number = 0
        # Not installed: said once in the log, and only the pack speaks (nice would start,
        # and fail to find it, at every sentence).
        self.missing = shutil.which(program) is None
        if self.missing:
            logger.warning("%s is not installed: only the voice pack speaks", program)

    def start(self, text: str, language: str) -> Synthesis | None:
        """Start making ``text`` in ``language``'s voice; None when espeak-ng cannot run."""
        if self.missing:
            return None
        made = self._made.get((language, text))
        if made is not None and made.is_file():
            self._made.move_to_end((language, text))
            return Synthesis(made, None)
        self._number += 1
        path = self.folder / f"said-{self._number}.wav"
        words = path.with_suffix(".txt")
        words.write_text(marked(text, language), encoding="utf-8")
        command = self._command(language, words, path)
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            logger.warning("cannot run %s (%s): only the voice pack speaks", self.program, exc)
            self.missing = True
            return None
        return Synthesis(path, process, lambda made: self._keep((language, text), made))

    def voice(self, language: str) -> list[str]:
        """The program and its voice for ``language``: all but where the text and sound go."""
        rate = str(WORDS_PER_MINUTE)
        return [self.program, "-v", VOICES.get(language, "en"), "-s", rate, "-b", "1"]

    def _command(self, language: str, words: Path, path: Path) -> list[str]:
        return [*NICE, *self.voice(language), "-m", "-w", str(path), "-f", str(words)]

    def _keep(self, said: tuple[str, str], path: Path) -> None:
        self._made[said] = path
        while len(self._made) > KEPT:
            _, old = self._made.popitem(last=False)
            old.unlink(missing_ok=True)
