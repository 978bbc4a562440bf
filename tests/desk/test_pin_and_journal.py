"""The PIN keypad's lock, and this week's first event found by a few look-ups instead of a full
walk."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import hash_pin
from kiosk.desk.journal_facts import first_seq_since
from kiosk.desk.pin_pad import PIN_LOCK_SECONDS, PinOutcome, PinPad
from kiosk.store import Store
from tests.conftest import example_policy, local, make_school


def type_pin(pad: PinPad, pin: str, now: float) -> PinOutcome:
    for digit in pin:
        pad.press(f"key:{digit}", now)
    return pad.press("ok", now).outcome


def test_five_wrong_pins_lock_the_pad_for_a_minute_even_for_the_right_one() -> None:
    pad = PinPad(hash_pin("2468", salt=b"0123456789abcdef"))
    assert [type_pin(pad, "1111", 0) for _ in range(5)][-2:] == [
        PinOutcome.WRONG,
        PinOutcome.LOCKED,
    ]
    assert type_pin(pad, "2468", 1) is PinOutcome.LOCKED
    assert type_pin(pad, "2468", PIN_LOCK_SECONDS + 1) is PinOutcome.OPEN


def test_clear_forgets_the_digits_and_no_hash_means_no_pin() -> None:
    pad = PinPad(hash_pin("2468", salt=b"0123456789abcdef"))
    pad.press("key:2", 0)
    pad.press("clear", 0)
    assert pad.digits == ""
    assert type_pin(PinPad(""), "2468", 0) is PinOutcome.NO_PIN


def test_journal_facts_match_a_full_walk(tmp_path: Path) -> None:
    school = make_school(tmp_path / "kiosk.db", example_policy())
    for card, book in (("S31", "B1"), ("S32", "B2"), ("S42", "B3")):
        school.scan(card)
        school.scan(book)
        school.clock.advance(3600)
    school.store.close()
    with Store(tmp_path / "kiosk.db") as store:
        events = list(store.events())
        since = local("2026-11-23 13:30")
        expected = next(e.seq for e in events if e.stamp.wall >= since)
        assert first_seq_since(store, since) == expected
        assert first_seq_since(store, local("2030-01-01 00:00")) == len(events) + 1
