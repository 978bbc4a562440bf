"""Reservations (预约) at the door, through the real door on a real SQLite file: a reserved copy
returned goes to the reservations shelf for the first in line, is refused to everyone else, lent
to its reader (who alone is told at the greeting), and released when left past the hold days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kiosk.core.decisions import EventType, Flag, Outcome, Reason
from kiosk.core.models import Copy
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.core.reservations import News, Reservation, hold_until, overlay
from kiosk.core.session import Button
from kiosk.store import Cursor, PulledPage
from tests.conftest import EXAMPLES, School, example_policy

LITTLE_PRINCE_ISBN = "9787049996228"  # B1


def _pull(school: School, *reservations: Reservation) -> None:
    """What a pull from the server brings: every open reservation."""
    page = PulledPage(
        snapshot=False, complete=True, cursor=Cursor(), reservations=list(reservations)
    )
    school.store.sync.apply_pull(page)


def _borrow(school: School, card: str, barcode: str) -> None:
    school.scan(card)
    assert school.scan(barcode).outcome is Outcome.BORROWED
    school.press(Button.DONE)
    school.clock.advance(10)


def _journaled(school: School, kind: EventType) -> list[tuple[str | None, str | None, date | None]]:
    return [
        (e.event.card, e.event.barcode, e.event.due)
        for e in school.store.events()
        if e.event.type is kind
    ]


def test_a_reserved_copy_returned_goes_on_the_reservations_shelf_for_its_reader(
    school: School,
) -> None:
    _borrow(school, "S31", "B3")
    _pull(school, Reservation(1, "T1", None, "B3"))
    back = school.scan("B3")
    assert back.outcome is Outcome.RETURNED and back.message_key == "returned.reserved"
    assert Flag.RESERVED in back.flags and back.title == "草房子"
    # Seven open days after Monday 23 November: Wednesday 2 December.
    assert _journaled(school, EventType.RESERVATION_READY) == [("T1", "B3", date(2026, 12, 2))]
    school.clock.advance(10)
    # Another child may not borrow it; the teacher is told at the greeting and takes it.
    school.scan("S32")
    refused = school.scan("B3")
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.HELD_FOR_OTHER)
    assert refused.message_key == "refused.held_for_other"
    assert "reserved" not in school.scan("S31B").params  # never anyone else's
    hello = school.scan("T1")
    assert hello.params["reserved"] == "草房子"
    assert school.scan("B3").outcome is Outcome.BORROWED
    assert school.store.library.reservations() == []  # collected
    school.press(Button.DONE)
    assert "reserved" not in school.scan("T1").params


def test_the_first_in_line_wins_a_copy_of_a_reserved_title(school: School) -> None:
    _borrow(school, "S31", "B1")
    _pull(
        school,
        Reservation(7, "S32", LITTLE_PRINCE_ISBN, None),
        Reservation(3, "T1", LITTLE_PRINCE_ISBN, None),
    )
    assert school.scan("B1").message_key == "returned.reserved"
    assert [r.card for r in school.store.library.reservations() if r.ready_barcode] == ["T1"]
    # Scanned again on its way to the shelf: still the teacher's, and said the same way.
    school.clock.advance(10)
    assert school.scan("B1").message_key == "returned.reserved"
    assert [r.card for r in school.store.library.reservations() if r.ready_barcode] == ["T1"]


def test_a_copy_nobody_waits_for_is_returned_as_before(school: School) -> None:
    _borrow(school, "S31", "B2")
    _pull(school, Reservation(1, "T1", None, "B3"))
    back = school.scan("B2")
    assert back.message_key == "returned.ok" and Flag.RESERVED not in back.flags
    assert _journaled(school, EventType.RESERVATION_READY) == []


def test_a_held_copy_left_past_the_hold_days_expires_and_goes_to_the_next(
    school: School,
) -> None:
    _pull(
        school,
        Reservation(1, "T1", None, "B3", ready_barcode="B3", until=date(2026, 11, 24)),
        Reservation(2, "S32", None, "B3"),
    )
    assert school.scan("T1").params["reserved"] == "草房子"
    school.press(Button.DONE)
    school.go_to("2026-11-25 12:15")
    assert "reserved" not in school.scan("T1").params  # left too long: no longer told
    school.press(Button.DONE)
    school.clock.advance(10)
    back = school.scan("B3")  # the librarian scans it from the shelf: the next in line has it
    assert back.message_key == "returned.reserved"
    assert _journaled(school, EventType.RESERVATION_EXPIRED) == [("T1", "B3", None)]
    assert [(r.card, r.ready_barcode) for r in school.store.library.reservations()] == [
        ("S32", "B3")
    ]


def test_a_copy_held_past_its_days_is_lent_to_whoever_takes_it(school: School) -> None:
    _pull(school, Reservation(1, "T1", None, "B3", ready_barcode="B3", until=date(2026, 11, 20)))
    school.scan("S32")
    assert school.scan("B3").outcome is Outcome.BORROWED
    assert _journaled(school, EventType.RESERVATION_EXPIRED) == [("T1", "B3", None)]
    assert school.store.library.reservations() == []


def test_no_renewal_of_a_copy_someone_else_waits_for(school: School) -> None:
    _borrow(school, "S31", "B2")
    _pull(school, Reservation(1, "T1", None, "B2"))
    school.go_to("2026-11-30 12:15")
    school.scan("S31")
    refused = school.scan("B2")
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.RESERVED_FOR_OTHER)
    assert refused.message_key == "refused.reserved_for_other"


def test_the_hold_ends_after_hold_days_open_days_within_the_term(tmp_path: Path) -> None:
    policy = example_policy()
    assert policy.hold_days == 7
    assert hold_until(policy, date(2026, 11, 27)) == date(2026, 12, 8)  # a Friday: weekends skipped
    assert hold_until(policy, policy.term.end) == policy.term.end


def test_kiosk_scan_prints_the_readers_own_reservation_at_the_greeting(school: School) -> None:
    from kiosk.commands._output import decision_text

    _pull(school, Reservation(1, "T1", None, "B3", ready_barcode="B3", until=date(2026, 12, 2)))
    hello = school.scan("T1")
    assert decision_text(hello, "zh_CN").endswith(" 你预约的书到了：《草房子》")
    assert decision_text(hello, "en").endswith(" The book you reserved is here: “草房子”")
    school.press(Button.DONE)
    assert "预约" not in decision_text(school.scan("S32"), "zh_CN")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "reservations.hold_days: expected a whole number from 1 to 60, found 0"),
        ('"a week"', "reservations.hold_days: expected a whole number from 1 to 60"),
    ],
)
def test_a_bad_hold_days_is_named_by_its_key(value: str, problem: str) -> None:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    changed = text.replace("hold_days = 7", f"hold_days = {value}")
    with pytest.raises(PolicyError) as caught:
        parse_policy(changed)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
    assert parse_policy(text.replace("hold_days = 7", "hold_days = 3")).hold_days == 3


def test_a_reader_who_takes_a_reserved_title_from_the_shelf_has_collected_it(
    school: School,
) -> None:
    _pull(
        school,
        Reservation(1, "T1", LITTLE_PRINCE_ISBN, None),
        Reservation(2, "T1", None, "B3", ready_barcode="B3", until=date(2026, 12, 2)),
    )
    school.scan("T1")
    assert school.scan("B1").outcome is Outcome.BORROWED  # 小王子, straight from the shelf
    # The title's reservation is collected; the copy held on the shelf still waits for her.
    assert [r.id for r in school.store.library.reservations()] == [2]


def test_another_copy_of_a_title_held_for_her_leaves_the_hold_as_the_server_does() -> None:
    held = Reservation(
        1, "T1", LITTLE_PRINCE_ISBN, None, ready_barcode="B1", until=date(2026, 12, 2)
    )
    other_copy = Copy("B9", "小王子", isbn=LITTLE_PRINCE_ISBN)
    took = News(EventType.CHECKOUT, "T1", "B9", date(2026, 12, 23), other_copy)
    assert overlay([held], [took]) == [held]  # B1 stays on the shelf for her
