"""The child's visit: from the card to Done, what the session screen and the receipt show.

The engine decides; a visit keeps what the child has been told (the greeting, this term's count,
every answer since the card) so the screen can show it and the receipt can list what was lent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from kiosk.core.decisions import Decision, Outcome
from kiosk.core.rules import Room
from kiosk.desk.facts import LoanFacts, ReceiptFacts, SessionFacts

# What the receipt lists: the books this visit lent or renewed, each with its (new) due date.
KEPT = (Outcome.BORROWED, Outcome.RENEWED)


@dataclass
class Visit:
    greeting: Decision
    read: int  # books this term
    to_go: int
    target: int  # 0: no reading target
    answers: list[Decision] = field(default_factory=list)

    @classmethod
    def begin(cls, greeting: Decision, *, target: int) -> Visit:
        """``target`` is the engine's (``kiosk.core.session.reading_target``)."""
        read = int(greeting.params.get("read", 0))
        to_go = int(greeting.params.get("to_go", 0))
        return cls(greeting, read, to_go, target)

    def answered(self, decision: Decision) -> None:
        self.answers.append(decision)
        if decision.outcome is Outcome.BORROWED:
            self.read += 1
            self.to_go = max(0, self.to_go - 1)

    def facts(
        self,
        loans: Sequence[LoanFacts],
        today: date,
        *,
        idle_seconds: float,
        last_activity: float,
        language: str,
        room: Room | None = None,
        grade: int | None = None,
        renew_button: bool = False,
    ) -> SessionFacts:
        return SessionFacts(
            greeting=self.greeting,
            read=self.read,
            to_go=self.to_go,
            target=self.target,
            loans=tuple(loans),
            today=today,
            answers=tuple(self.answers),
            idle_seconds=idle_seconds,
            last_activity=last_activity,
            language=language,
            room=room,
            grade=grade,
            renew_button=renew_button,
        )

    def receipt(self, today: date, *, closes_at: float, language: str) -> ReceiptFacts:
        """What was lent or renewed on this visit, with due dates, in the child's language."""
        borrowed = tuple(
            (d.title or "", d.due) for d in self.answers if d.outcome in KEPT and d.due is not None
        )
        name = self.greeting.given_name or ""
        return ReceiptFacts(name, borrowed, today, closes_at, language)
