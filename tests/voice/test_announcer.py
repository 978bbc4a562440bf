"""The voice as the app uses it: whose answers are spoken, and an older answer cut off when a
new one is for someone who does not hear them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from kiosk.core.decisions import Decision, Outcome, Reason
from kiosk.core.models import ClassName, Reader, ReaderRole
from kiosk.desk.facts import IdleFacts
from kiosk.voice.announcer import Announcer
from kiosk.voice.lines import Line
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.speaker import Speaker
from tests.voice.test_hearing import GREETING, borrowed, session

READERS = {
    "202610101": Reader("202610101", "明安", ReaderRole.STUDENT, ClassName(1, 1)),
    "202250101": Reader("202250101", "若曦", ReaderRole.STUDENT, ClassName(5, 1)),
    "T0001": Reader("T0001", "武老师", ReaderRole.TEACHER),
}


@dataclass
class HeardSpeaker:
    said: list[str] = field(default_factory=list)

    def say(self, line: Line) -> None:
        self.said.append(line.sentence)

    def hush(self) -> None:
        self.said.append("<hush>")

    def stop(self) -> None:
        pass


def announcer(grades: frozenset[int], looked_up: list[str]) -> tuple[Announcer, HeardSpeaker]:
    def reader_of(card: str) -> Reader | None:
        looked_up.append(card)
        return READERS.get(card)

    settings = VoiceSettings(True, grades, False, 0.8, None)
    speaker = HeardSpeaker()
    return Announcer(settings, cast(Speaker, speaker), reader_of), speaker


def visit_of(card: str, *answers: Decision) -> Any:
    greeting = replace(GREETING, reader=card, given_name=READERS[card].given_name)
    return replace(session(*answers), greeting=greeting)


def test_the_first_grade_hears_its_visit_and_a_fifth_grader_cuts_it_off_silently() -> None:
    looked_up: list[str] = []
    voice, speaker = announcer(frozenset({1, 2}), looked_up)
    first = visit_of("202610101")
    voice.hear(first, 0)
    voice.hear(replace(first, answers=(replace(borrowed("小王子"), reader="202610101"),)), 2)
    voice.hear(visit_of("202250101"), 4)  # another card takes over: not spoken to
    voice.hear(visit_of("T0001"), 6)
    assert speaker.said == ["明安，你好！", "借好了！《小王子》", "<hush>", "<hush>"]
    assert looked_up == ["202610101", "202250101", "T0001"]  # once a visit, not once an answer


def test_a_card_nobody_has_is_answered_aloud() -> None:
    voice, speaker = announcer(frozenset({1}), [])
    unknown = Decision("X9", Outcome.REFUSED, Reason.UNKNOWN_READER, "refused.unknown_reader")
    idle = IdleFacts("", None, (), None, (), None, None, "zh_CN", notice=unknown)  # type: ignore[arg-type]
    voice.hear(idle, 0)
    assert speaker.said == ["这张卡还没有登记，请找老师帮忙。"]


def test_an_answer_the_voice_cannot_put_together_never_reaches_the_door(tmp_path: Path) -> None:
    def broken(_card: str) -> Reader | None:
        raise RuntimeError("the roster went away")

    voice = Announcer(VoiceSettings(True, frozenset({1}), False, 0.8, None),
                      cast(Speaker, HeardSpeaker()), broken)  # fmt: skip
    voice.hear(visit_of("202610101"), 0)  # logged, not raised into the door's thread
