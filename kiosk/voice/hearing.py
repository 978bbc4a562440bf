"""Which screen is news to the ear: the desk's facts in, the line to speak (and to whom) out.

The desk sends a screen for every change (a touch, the language button, a scanner back): only a
new answer is spoken, once. Pure and on the door's thread: it costs a comparison and a format,
and the grade filter needs the roster, which only that thread may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.decisions import Decision, Flag
from kiosk.desk.facts import Facts, IdleFacts, Notice, ReceiptFacts, ReturnFacts, SessionFacts
from kiosk.i18n import catalogue, format_day
from kiosk.voice import bursts
from kiosk.voice.lines import Line, spoken, template


@dataclass(frozen=True)
class Heard:
    line: Line
    card: str | None  # whose answer it is, for voice.grades; None: nobody known


class Hearing:
    def __init__(self) -> None:
        self._shown: Facts | None = None
        # The last visit's screen: a visit shown again after the fault screen is not news.
        self._visit: SessionFacts | None = None
        self._burst: bursts.Burst | None = None
        self._card: str | None = None  # the visit's reader, for the goodbye on the receipt

    def hear(self, facts: Facts, at: float) -> Heard | None:
        """The line for ``facts`` if it says something new; ``at`` is when (monotonic)."""
        before, self._shown = self._shown, facts
        if facts is before:
            return None  # the same screen shown again (a scanner came back)
        if isinstance(facts, SessionFacts):
            old, self._visit = self._visit, facts
            return self._session(facts, old, at)
        if isinstance(facts, ReturnFacts):
            return self._answer(facts.decision, facts.language, at)
        if isinstance(facts, ReceiptFacts):
            self._burst = None
            return self._say("goodbye", facts.language, self._card, name=facts.name)
        if isinstance(facts, IdleFacts) and facts.notice is not None:
            if isinstance(facts.notice, Notice):
                return self._notice(facts.notice, facts.language)
            return self._answer(facts.notice, facts.language, at)
        return None

    def _session(self, facts: SessionFacts, old: SessionFacts | None, at: float) -> Heard | None:
        greeting = facts.greeting
        if old is None or old.greeting is not greeting:
            self._burst = None
            self._card = greeting.reader
            hello = self._say("hello", facts.language, greeting.reader, name=greeting.given_name)
            return self._and_reserved(hello, greeting, facts.language)
        if len(facts.answers) > len(old.answers):
            return self._answer(facts.answers[-1], facts.language, at)
        if facts.unread and not old.unread:
            return self._notice(Notice.UNREAD, facts.language)
        return None  # a touch, the language button, the countdown

    def _and_reserved(self, hello: Heard | None, greeting: Decision, language: str) -> Heard | None:
        """The greeting, and the reader's own ready reservations after it, as the screen says."""
        reserved = str(greeting.params.get("reserved", "")).splitlines()
        if not reserved or hello is None:
            return hello
        quoted = "“{}”" if language == "en" else "《{}》"
        titles = (
            catalogue(language)
            .get("ui.list_separator", "、")
            .join(quoted.format(t) for t in reserved)
        )
        told = self._say("reserved", language, greeting.reader, titles=titles)
        if told is None:
            return hello
        line = hello.line
        both = Line(
            language, line.pieces + told.line.pieces, f"{line.sentence}{told.line.sentence}"
        )
        return Heard(both, hello.card)

    def _answer(self, decision: Decision, language: str, at: float) -> Heard | None:
        key = decision.message_key
        if key == "returned.ok" and Flag.LATE in decision.flags:
            key = "returned.late"  # thanked, as the screen does (never scolded)
        self._burst = bursts.add(self._burst, key, at)
        merged = self._burst.merged_key
        if merged is not None:
            return self._say(merged, language, decision.reader, count=self._burst.count)
        values: dict[str, object] = {
            "name": decision.given_name or "",
            "title": decision.title or "",
            "due": format_day(decision.due, language) if decision.due else "",
            **decision.params,
        }
        return self._say(key, language, decision.reader, **values)

    def _notice(self, notice: Notice, language: str) -> Heard | None:
        self._burst = None
        return self._say(f"ui.notice.{notice.value}", language, None)  # the screen's sentence

    def _say(self, key: str, language: str, card: str | None, **values: object) -> Heard | None:
        found = template(key, language)
        if found is None:
            return None  # a key without a sentence is a bug the screen shows; say nothing
        filed, text = found
        line = spoken(filed, text, language, values)
        return Heard(line, card) if line.pieces else None
