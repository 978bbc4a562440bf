"""The door's mode is the engine's: a card refused in returns-only mode, or anything scanned while
the door is closed, is an answer with a reason and a journaled refusal like any other."""

from __future__ import annotations

from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.modes import DoorMode
from kiosk.core.session import Button, DeviceRole
from kiosk.i18n import say
from tests.conftest import School


def journal(school: School) -> list[tuple[EventType, Reason, str | None, str | None]]:
    return [
        (e.event.type, e.event.reason, e.event.card, e.event.code) for e in school.store.events()
    ]


def test_returns_only_refuses_a_card_and_takes_the_book_back(school: School) -> None:
    school.scan("S31")
    school.scan("B1")
    school.press(Button.DONE)
    school.door.set_mode(DoorMode.RETURNS_ONLY)
    school.clock.advance(10)
    refused = school.scan("S32", DeviceRole.CARD)
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.RETURNS_ONLY)
    assert say(refused, "zh_CN") == "现在只能还书，不能借书哦"
    assert school.door.state.session is None  # no visit was opened
    assert school.scan("B1").outcome is Outcome.RETURNED
    # A card nobody has gets the usual answer, not a word about the mode.
    assert school.scan("NOBODY").reason is Reason.UNKNOWN_CODE
    assert journal(school)[-3:] == [
        (EventType.REFUSAL, Reason.RETURNS_ONLY, "S32", "S32"),
        (EventType.RETURN, Reason.OK, "S31", None),
        (EventType.REFUSAL, Reason.UNKNOWN_CODE, None, "NOBODY"),
    ]


def test_a_closed_door_refuses_cards_and_books_once_each(school: School) -> None:
    school.door.set_mode(DoorMode.CLOSED)
    assert school.scan("S31").reason is Reason.CLOSED
    assert school.handle("S31").decision.reason is Reason.DUPLICATE_SCAN  # type: ignore[union-attr]
    assert school.scan("B1", DeviceRole.BOOK).reason is Reason.CLOSED
    assert journal(school) == [
        (EventType.REFUSAL, Reason.CLOSED, "S31", "S31"),
        (EventType.REFUSAL, Reason.CLOSED, None, "B1"),
    ]
    school.door.set_mode(DoorMode.NORMAL)
    school.clock.advance(10)
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED
