"""The journal: gap-free, hash-chained, append-only, and the loan table is its projection."""

from __future__ import annotations

import dataclasses
import sqlite3
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.decisions import Event, EventType, Flag, Outcome, Reason
from kiosk.core.journal import GENESIS_HASH, Stamp, as_dict, project, record, verify_chain
from kiosk.core.moments import ClockSource
from kiosk.core.policy_file import PolicyError
from kiosk.core.session import Button
from kiosk.store import StoreError
from tests.conftest import COPIES, ISBN_ONLY, READERS, School, example_policy, make_school

POLICY = example_policy()
PINNED_HASH = "ea3f0f22b10fc6436a8e7f15d45a8559eb13c4d02204ce654c984b06a3d90f8d"
PINNED_HASH_2 = "613f193e34ea226f11f191750798e8d6056dd106939c462f0bd44e67e3f8c7c3"
PINNED_HASH_2_OPERATOR = "f7b8b649fae3957b7ca1015e5f95759c243cfb5fefa285c7b02fee696b0fe494"


def _borrow_and_return(school: School) -> None:
    school.scan("S31")
    school.scan("B2")
    school.press(Button.DONE)
    school.scan("B2")
    school.scan("S32")
    school.scan("B3")


def test_events_carry_identity_and_time(school: School) -> None:
    _borrow_and_return(school)
    events = list(school.store.events())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.id for e in events}) == len(events)
    assert {e.kiosk_id for e in events} == {"test-door"}
    assert all(e.stamp.boot_id == "scripted" and e.stamp.clock_synced for e in events)
    assert [e.stamp.mono for e in events] == sorted(e.stamp.mono for e in events)
    assert not verify_chain(events)


def test_an_edited_event_breaks_the_chain(school: School) -> None:
    _borrow_and_return(school)
    path = school.store.path
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER events_no_update")  # someone with the file and a SQLite tool
        conn.execute("UPDATE events SET card = 'S32' WHERE seq = 2")
    breaks = verify_chain(school.store.events())
    assert [b.seq for b in breaks] == [2]


def test_a_removed_event_breaks_the_chain(school: School) -> None:
    _borrow_and_return(school)
    with sqlite3.connect(school.store.path) as conn:
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("DELETE FROM events WHERE seq = 3")
    problems = {b.problem for b in verify_chain(school.store.events())}
    assert "missing event(s) 3 before this one" in problems
    assert "previous-event hash does not match" in problems


def test_the_journal_refuses_updates_and_deletes(school: School) -> None:
    _borrow_and_return(school)
    with sqlite3.connect(school.store.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE events SET card = 'X' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM events")


def test_a_failed_write_leaves_no_event_and_no_loan(school: School) -> None:
    school.scan("S31")
    before = list(school.store.events())
    with sqlite3.connect(school.store.path) as conn:
        # Make the loan insert fail after the event insert, inside the same transaction.
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON loans BEGIN SELECT RAISE(ABORT, 'disk'); END"
        )
    with pytest.raises(StoreError, match="disk"):
        school.scan("B2")
    assert list(school.store.events()) == before
    assert school.store.loans() == []


def test_the_projection_of_the_journal_is_the_loan_table(school: School) -> None:
    _borrow_and_return(school)
    assert project(school.store.events()) == {loan.barcode: loan for loan in school.store.loans()}
    assert school.store.projection_differences() == []


CODES = [r.card for r in READERS] + [c.barcode for c in COPIES] + [ISBN_ONLY, "NOPE", ""]
ACTIONS = st.lists(
    st.one_of(
        st.sampled_from(CODES),
        st.sampled_from(["@done", "@damaged", "@wait"]),
        st.text(max_size=12),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(actions=ACTIONS, start_day=st.sampled_from(["2026-11-23 12:15", "2026-11-26 10:05"]))
def test_rebuilding_the_loans_from_the_journal_gives_the_same_table(
    actions: list[str], start_day: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        school = make_school(Path(folder) / "kiosk.db", POLICY, start_day)
        try:
            for action in actions:
                if action == "@done":
                    school.press(Button.DONE)
                elif action == "@damaged":
                    school.press(Button.DAMAGED)
                elif action == "@wait":
                    school.clock.advance(30)
                    school.door.tick()
                else:
                    school.handle(action)
            school.door.close()
            events = list(school.store.events())
            table = {loan.barcode: loan for loan in school.store.loans()}
            assert project(events) == table
            assert not verify_chain(events)
            # No copy is ever on loan twice, and every loan has its checkout event.
            checkouts = {e.seq for e in events if e.event.type.value == "checkout"}
            assert all(loan.event_seq in checkouts for loan in table.values())
        finally:
            school.store.close()


def _pinned_event(source: ClockSource = ClockSource.SYSTEM) -> tuple[Event, Stamp]:
    wall = datetime(2026, 11, 23, 4, 15, 1, 250000, tzinfo=UTC)
    event = Event(
        EventType.CHECKOUT, Reason.OK, "session-1", card="202430101", barcode="0001002",
        due=date(2026, 12, 7), flags=(Flag.TAKEN_FROM_OTHER,),
    )  # fmt: skip
    return event, Stamp(wall, wall, 12.5, "boot-1", True, source)


@pytest.mark.parametrize(
    ("journal_format", "source", "pinned"),
    [
        (1, ClockSource.SYSTEM, PINNED_HASH),
        (2, ClockSource.SYSTEM, PINNED_HASH_2),
        (2, ClockSource.OPERATOR, PINNED_HASH_2_OPERATOR),
    ],
)
def test_the_hashed_form_of_an_event_never_changes(
    journal_format: int, source: ClockSource, pinned: str
) -> None:
    # Pinned: if this fails, every journal already written would read as tampered.
    event, stamp = _pinned_event(source)
    recorded = record(
        7, "0b5ee3d6-6a4c-4b0a-9a55-2f1c7a1e9d10", "door-1", event, stamp, GENESIS_HASH,
        journal_format,
    )  # fmt: skip
    assert recorded.hash == pinned
    assert not verify_chain([recorded], first_prev=GENESIS_HASH)


def test_the_hashed_form_of_a_card_number_in_chinese_never_changes() -> None:
    # A school may number its cards 教师0001: the hash is over its UTF-8 bytes, not \u escapes.
    event, stamp = _pinned_event()
    event = dataclasses.replace(event, card="教师0001")
    recorded = record(
        7, "0b5ee3d6-6a4c-4b0a-9a55-2f1c7a1e9d10", "door-1", event, stamp, GENESIS_HASH, 2
    )
    assert recorded.hash == "e4ec6989a6b2d93dfffb8d84a5fa8c0d8ace7dce0ee25be1669c4c411a87ebde"


def test_an_event_of_a_format_this_kiosk_does_not_know_is_a_break() -> None:
    event, stamp = _pinned_event()
    recorded = record(1, "id-1", "door-1", event, stamp, GENESIS_HASH)
    unknown = dataclasses.replace(recorded, format=99)
    # Doctor prints "event 1: unknown journal format 99": the librarian is told which event.
    assert [(b.seq, b.problem) for b in verify_chain([unknown])] == [
        (1, "unknown journal format 99")
    ]


def test_the_store_refuses_to_save_a_policy_that_does_not_parse(school: School) -> None:
    before = school.store.policy_source()
    with pytest.raises(PolicyError, match=r"loans\.days"):
        school.store.save_policy((before or "").replace("days = 14", "days = -3"))
    assert school.store.policy_source() == before  # the kiosk keeps the rules it had
    assert school.scan("S31").outcome is Outcome.SESSION_STARTED


def test_an_event_written_before_format_2_is_shown_as_from_the_system_clock() -> None:
    event, stamp = _pinned_event()
    old = record(1, "id-1", "door-1", event, stamp, GENESIS_HASH, journal_format=1)
    shown = as_dict(old)  # what `kiosk events --json` prints
    assert (shown["format"], shown["clock_source"]) == (1, "system")
