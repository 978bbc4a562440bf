"""A clock that was wrong for a while shifts only the events it stamped: the server places events
from a trustworthy clock at their own time, bounds the others between their trustworthy
neighbours (never after the server received them), and says which it moved. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from kiosk.clocks import ScriptedClock
from kiosk.core.session import Button
from kiosk.door import Door
from sync.protocol import encode
from sync.server import review
from sync.server.db import reading
from sync.server.tables import events, loans
from tests.conftest import example_policy, local
from tests.sync.conftest import Kiosk, LiveServer, make_kiosk, push_request


def _rows(live: LiveServer, kiosk: str) -> list[tuple[int, str, str | None, datetime, str]]:
    c = events.c
    with reading(live.engine) as conn:
        return [
            (r.seq, r.type, r.barcode, r.effective_time, r.timing)
            for r in conn.execute(
                select(c.seq, c.type, c.barcode, c.effective_time, c.timing)
                .where(c.kiosk == kiosk)
                .order_by(c.seq)
            )
        ]


def _on_loan(live: LiveServer, barcode: str) -> bool:
    with reading(live.engine) as conn:
        return bool(
            conn.execute(select(loans.c.on_loan).where(loans.c.barcode == barcode)).scalar()
        )


def _open_items(live: LiveServer) -> list[str]:
    with reading(live.engine) as conn:
        return [i["kind"] for i in review.open_items(conn)]


def _reboot(k: Kiosk, clock: ScriptedClock) -> Kiosk:
    """The same kiosk after a power cut: a new boot, a clock the test chose."""
    return Kiosk(k.store, clock, Door(k.store, clock, policy=example_policy()))


def _lend(k: Kiosk, card: str, barcode: str) -> None:
    for code in (card, barcode):
        k.clock.advance(1)
        k.door.scan(code)
    k.clock.advance(1)
    k.door.press(Button.DONE)
    k.clock.advance(10)


def test_a_clock_weeks_ahead_for_one_boot_moves_only_its_own_events(
    live: LiveServer, tmp_path: Path
) -> None:
    # Door A boots offline with its clock five weeks ahead (a dead RTC battery, no NTP) and
    # lends B1 at what it believes is 28 December; then it reboots with NTP and lends B2.
    ahead = ScriptedClock(local("2026-12-28 12:15"), synced=False, boot_id="boot-ahead")
    a = make_kiosk(tmp_path / "a.db", "door-a", synced=False, boot_id="boot-ahead")
    b = make_kiosk(tmp_path / "b.db", "door-b", "2026-11-23 12:25")
    try:
        a = _reboot(a, ahead)
        _lend(a, "S31", "B1")
        a = _reboot(a, ScriptedClock(local("2026-11-23 12:20"), boot_id="boot-right"))
        _lend(a, "S31B", "B2")
        live.add_kiosk(a.id)
        live.add_kiosk(b.id)
        # The push leaves from the second boot: nothing on the server can place the first.
        live.push(a.id, a.events(), boot_id="boot-right", mono=a.clock.read().mono + 5)
        # Door B, whose clock was right all along, takes B1 back at 12:25 (a minute later).
        b.scan("B1")
        live.push(b.id, b.events())
        rows = _rows(live, a.id)
        right = [r for r in rows if r[4] == "clock"]
        assert right and all(r[3] < local("2026-11-23 12:30") for r in right)
        # Every event of the second boot is at its own time: nothing dragged to December.
        for seq, _type, _barcode, effective, _timing in right:
            own = next(e for e in a.events() if e.seq == seq).stamp.wall
            assert effective == own
        wrong = [r for r in rows if r[4] != "clock"]
        assert wrong and {r[4] for r in wrong} == {"bounded"}  # the librarian sees it moved
        assert all(r[3] <= right[0][3] for r in wrong)  # before the boot that followed it
        # B1 was lent before door B took it back: it is on the shelf, and nothing to review.
        assert not _on_loan(live, "B1")
        assert _on_loan(live, "B2")
        assert _open_items(live) == []
    finally:
        a.store.close()
        b.store.close()


def test_an_operators_time_in_2099_never_holds_back_the_real_clock(
    live: LiveServer, tmp_path: Path
) -> None:
    a = make_kiosk(tmp_path / "a.db", "door-a")
    b = make_kiosk(tmp_path / "b.db", "door-b", "2026-11-23 12:28")
    try:
        # `kiosk scan --at 2099-...`: an operator's typo. The door uses it as given ...
        typed = ScriptedClock.given(datetime(2099, 11, 23, 4, 15, tzinfo=UTC))
        typo = _reboot(a, typed)
        typo.door.scan("B3")  # ... a return of a copy nobody had: on the shelf anyway
        # ... and the real, synchronised clock goes on: S31 borrows B1 at 12:15.
        a.borrow("S31", "B1")
        live.add_kiosk(a.id)
        live.add_kiosk(b.id)
        live.push(a.id, a.events())
        b.scan("B1")  # returned at door B at 12:28
        live.push(b.id, b.events())
        rows = _rows(live, a.id)
        typed_row = rows[0]
        assert typed_row[1] == "return" and typed_row[4] == "bounded"
        assert typed_row[3] <= live.clock()  # never after the server received it
        for seq, _type, _barcode, effective, timing in rows[1:]:
            own = next(e for e in a.events() if e.seq == seq).stamp.wall
            assert (effective, timing) == (own, "clock")
        assert not _on_loan(live, "B1")
        assert _open_items(live) == ["return_not_on_loan"]  # the typo's return, nothing else
    finally:
        a.store.close()
        b.store.close()


def test_a_forged_synchronised_event_in_the_future_cannot_outlive_a_real_return(
    live: LiveServer, tmp_path: Path
) -> None:
    a = make_kiosk(tmp_path / "a.db", "door-a")
    b = make_kiosk(tmp_path / "b.db", "door-b", "2026-11-23 12:28")
    try:
        live.add_kiosk(a.id)
        live.add_kiosk(b.id)
        a.borrow("S31", "B1")
        # A stolen token pushes the checkout as if a synchronised clock had said 2090.
        body = json.loads(encode(push_request(a.id, a.events())))
        checkout = next(e for e in body["events"] if e["type"] == "checkout")
        checkout["wall_time"] = checkout["clock_time"] = "2090-01-01T04:00:00+00:00"
        assert live.post("/v1/push", body, kiosk=a.id).status_code == 200
        b.scan("B1")  # the real return at door B, at 12:28
        live.push(b.id, b.events())
        assert not _on_loan(live, "B1")
        forged = next(r for r in _rows(live, a.id) if r[1] == "checkout")
        # Re-timed (here by the monotonic time of its synchronised neighbours), and marked so.
        assert forged[4] in ("anchor", "bounded") and forged[3] <= live.clock()
    finally:
        a.store.close()
        b.store.close()


def test_the_rule_alone_each_time_fits_between_its_trustworthy_neighbours() -> None:
    from datetime import timedelta

    from sync.server.retiming import Bounds, Moment, retime

    received = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    later = noon + timedelta(days=38)
    moments = [
        Moment(noon, 10.0, "b1", True),  # a synchronised clock: its own time
        Moment(later, 5.0, "b2", False),  # another boot, five weeks ahead, nothing to place it
        Moment(noon + timedelta(minutes=5), 7.0, "b3", True),  # NTP again: its own time
        Moment(datetime(2099, 1, 1, tzinfo=UTC), 8.0, "b3", False, operator=True),
        Moment(noon - timedelta(minutes=1), 9.0, "b3", True),  # NTP stepped back a minute
    ]
    timed = retime(
        moments, anchors={}, sender_boot="b9", sender_mono=0.0, received_at=received,
        bounds=Bounds(after=noon - timedelta(hours=1)),
    )  # fmt: skip
    assert [(t.effective - noon, t.timing) for t in timed] == [
        (timedelta(0), "clock"),
        (timedelta(minutes=5), "bounded"),  # before the next trustworthy event
        (timedelta(minutes=5), "clock"),
        (timedelta(minutes=5), "bounded"),  # not 2099: before the next one, never after now
        (timedelta(minutes=5), "clock"),  # in order after its neighbour, still the clock's
    ]
    # A time inside its bounds stays as the kiosk held it, and is labelled so.
    (kept,) = retime(
        [Moment(noon, 1.0, "b4", False)], anchors={}, sender_boot="b9", sender_mono=0.0,
        received_at=received,
    )  # fmt: skip
    assert (kept.effective, kept.timing) == (noon, "held")
    # A synchronised clock that claims to be after the server heard of it is not believed.
    (future,) = retime(
        [Moment(received + timedelta(hours=1), 1.0, "b5", True)], anchors={}, sender_boot="b9",
        sender_mono=0.0, received_at=received,
    )  # fmt: skip
    assert (future.effective, future.timing) == (received, "bounded")
