"""Which wall-clock time the door believes: synced, unsynced, operator-given, and bogus readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.core.moments import MAX_UNSYNCED_LEAD, ClockSource, Reading, believed_wall

T0 = datetime(2026, 11, 23, 4, 15, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
OPERATOR = ClockSource.OPERATOR


def at(
    wall: datetime,
    mono: float,
    synced: bool,
    boot: str = "b1",
    source: ClockSource = ClockSource.SYSTEM,
) -> Reading:
    return Reading(wall, mono, synced, boot, source)


SYNCED_LAST = at(T0, 100.0, True)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(T0 + 5 * SECOND, 105.0, False), T0 + 5 * SECOND),
        (at(T0 - 200 * DAY, 130.0, True), T0 - 200 * DAY),
        (at(T0 - 200 * DAY, 130.0, False), T0 + 30 * SECOND),
        (at(T0 - 200 * DAY, 3.0, False, "b2"), T0),
        (at(T0 - 200 * DAY, 3.0, False, source=OPERATOR), T0 - 200 * DAY),
        (at(T0 + 70 * 365 * DAY, 3.0, False, source=OPERATOR), T0 + 70 * 365 * DAY),
    ],
    ids=[
        "ahead",
        "behind but synced",
        "behind, same boot",
        "behind after a reboot",
        "an operator's time in the past",
        "an operator's time in the far future",
    ],
)
def test_the_wall_clock_never_runs_backwards_unless_synced_or_given(
    now: Reading, expected: datetime
) -> None:
    assert believed_wall(now, SYNCED_LAST, SYNCED_LAST) == expected


def test_a_far_future_unsynced_record_does_not_hold_the_clock() -> None:
    # A dead clock battery once read 2099 and an event was recorded then, unsynced.
    bogus = at(datetime(2099, 1, 1, tzinfo=UTC), 500.0, False, "b2")
    now = at(T0 + DAY, 10.0, False, "b3")
    assert believed_wall(now, bogus, SYNCED_LAST) == T0 + DAY


def test_a_bogus_record_falls_back_to_the_last_synced_reading() -> None:
    bogus = at(datetime(2099, 1, 1, tzinfo=UTC), 500.0, False, "b2")
    behind = at(T0 - 300 * DAY, 130.0, False, "b1")  # same boot as the synced reading
    assert believed_wall(behind, bogus, SYNCED_LAST) == T0 + 30 * SECOND


def test_a_far_future_unsynced_reading_is_not_believed() -> None:
    same_boot = at(datetime(2099, 1, 1, tzinfo=UTC), 160.0, False)
    assert believed_wall(same_boot, SYNCED_LAST, SYNCED_LAST) == T0 + 60 * SECOND
    rebooted = at(datetime(2099, 1, 1, tzinfo=UTC), 3.0, False, "b2")
    assert believed_wall(rebooted, SYNCED_LAST, SYNCED_LAST) == T0


def test_a_summer_offline_is_still_believed() -> None:
    # Months without a network, the clock moving on by itself: nothing implausible about it.
    later = at(T0 + MAX_UNSYNCED_LEAD - DAY, 3.0, False, "b2")
    assert believed_wall(later, SYNCED_LAST, SYNCED_LAST) == later.wall
    beyond = at(T0 + MAX_UNSYNCED_LEAD + DAY, 3.0, False, "b2")
    assert believed_wall(beyond, SYNCED_LAST, SYNCED_LAST) == T0


def test_with_no_synced_reading_ever_the_journal_holds() -> None:
    # Nothing trustworthy to judge by: an unsynced kiosk holds to its own journal.
    last = at(T0, 100.0, False)
    assert believed_wall(at(T0 - DAY, 3.0, False, "b2"), last, None) == T0
    assert believed_wall(at(T0 + 50 * 365 * DAY, 3.0, False, "b2"), last, None) > T0


def test_the_servers_time_in_this_boot_is_believed() -> None:
    # No NTP through the school's firewall, but the sync worker heard the server's time.
    server = at(T0 + DAY, 500.0, True, "b2")
    wrong = at(datetime(2024, 1, 1, tzinfo=UTC), 530.0, False, "b2")
    assert believed_wall(wrong, SYNCED_LAST, SYNCED_LAST, server) == T0 + DAY + 30 * SECOND
    bogus = at(datetime(2099, 1, 1, tzinfo=UTC), 560.0, False, "b2")
    assert believed_wall(bogus, SYNCED_LAST, SYNCED_LAST, server) == T0 + DAY + 60 * SECOND


def test_the_servers_time_from_an_earlier_boot_judges_readings() -> None:
    server = at(T0 + 500 * DAY, 500.0, True, "b2")
    # Beyond 400 days of the last synced event, but not of the server's word: believed.
    later = at(T0 + 600 * DAY, 3.0, False, "b3")
    assert believed_wall(later, SYNCED_LAST, SYNCED_LAST, server) == later.wall
    behind = at(T0 - DAY, 3.0, False, "b3")
    assert believed_wall(behind, SYNCED_LAST, SYNCED_LAST, server) == T0  # held to the journal
