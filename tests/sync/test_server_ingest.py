"""The server stores each kiosk event exactly once, reports gaps and broken chains, and keeps
the authoritative loans, with conflicts in the review inbox. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from kiosk.core.decisions import EventType
from kiosk.core.journal import as_dict
from sync.protocol import Status
from sync.server import review
from sync.server.db import reading
from sync.server.export import wire_dicts
from sync.server.tables import events, loans
from tests.sync.conftest import Kiosk, LiveServer


def _loan(live: LiveServer, barcode: str) -> dict[str, object] | None:
    with reading(live.engine) as conn:
        row = conn.execute(select(loans).where(loans.c.barcode == barcode)).first()
    return dict(row._mapping) if row else None


def _open(live: LiveServer, kind: review.Kind | None = None) -> list[dict[str, object]]:
    with reading(live.engine) as conn:
        return review.open_items(conn, kind)


def test_a_push_is_stored_once_and_a_resend_is_all_duplicates(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    a.borrow("S31", "B1")
    journal = a.events()
    first = live.push(a.id, journal)
    assert [r.status for r in first.results] == [Status.ACCEPTED] * len(journal)
    assert first.acked_through == journal[-1].seq and first.gaps == [] and first.chain_breaks == []
    again = live.push(a.id, journal)
    assert {r.status for r in again.results} == {Status.DUPLICATE}
    assert list(wire_dicts(live.engine)) == [json.loads(json.dumps(as_dict(e))) for e in journal]


def test_an_event_reusing_a_sequence_number_is_rejected_and_reviewed(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    a.borrow("S31", "B1")
    journal = a.events()
    live.push(a.id, journal)
    # A kiosk set up again from scratch under the same name starts its sequence at 1.
    impostor = dataclasses.replace(journal[0], id="00000000-0000-4000-8000-000000000001")
    answer = live.push(a.id, [impostor])
    assert answer.results[0].status is Status.REJECTED and answer.results[0].reason == "seq_taken"
    assert [i["kind"] for i in _open(live)] == ["sequence_reused"]


def test_a_gap_is_reported_and_cleared_when_filled(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    a.borrow("S31", "B1")
    a.borrow("T1", "B2")
    journal = a.events()
    assert len(journal) == 6
    answer = live.push(a.id, [journal[0], *journal[3:]])
    assert answer.acked_through == 1
    assert [(g.first, g.last) for g in answer.gaps] == [(2, 3)]
    assert [i["kind"] for i in _open(live)] == ["sequence_gap"]
    filled = live.push(a.id, journal[1:3])
    assert filled.gaps == [] and filled.acked_through == journal[-1].seq
    assert _open(live) == []


def test_an_edited_event_is_kept_but_its_broken_chain_is_reported(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    a.borrow("S31", "B1")
    journal = a.events()
    checkout = next(e for e in journal if e.event.type is EventType.CHECKOUT)
    edited = dataclasses.replace(
        checkout, event=dataclasses.replace(checkout.event, card="S32")
    )  # someone changed who borrowed it, with a SQLite tool
    journal = [edited if e.seq == checkout.seq else e for e in journal]
    answer = live.push(a.id, journal)
    assert {r.status for r in answer.results} == {Status.ACCEPTED}
    assert [(b.seq, b.problem) for b in answer.chain_breaks] == [
        (checkout.seq, "event content does not match its hash")
    ]
    assert [i["kind"] for i in _open(live)] == ["chain_break"]


def test_a_book_borrowed_at_one_door_and_returned_at_another_is_back(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    live.add_kiosk(a.id)
    live.add_kiosk(b.id)
    a.borrow("S31", "B2")
    live.push(a.id, a.events())
    loan = _loan(live, "B2")
    assert loan is not None and loan["on_loan"] and loan["card"] == "S31"
    b.clock.advance(600)
    b.scan("B2")  # a return at door B, which never saw the loan
    live.push(b.id, b.events())
    loan = _loan(live, "B2")
    assert loan is not None and not loan["on_loan"]
    assert _open(live, review.Kind.LENT_TWICE) == []


def test_one_copy_lent_by_two_offline_kiosks_makes_one_review_item(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    live.add_kiosk(a.id)
    live.add_kiosk(b.id)
    a.borrow("S31", "B3")
    b.clock.advance(120)
    b.borrow("S32", "B3")  # door B did not know: both were offline
    live.push(a.id, a.events())
    live.push(b.id, b.events())
    live.push(b.id, b.events())  # sent twice: still one item
    items = _open(live, review.Kind.LENT_TWICE)
    assert len(items) == 1
    detail = json.loads(str(items[0]["detail"]))
    assert (detail["first_card"], detail["second_card"]) == ("S31", "S32")
    loan = _loan(live, "B3")
    assert loan is not None and loan["card"] == "S32"  # the later borrower has it in hand


def test_a_return_that_arrives_before_its_loan_is_cleared_when_the_loan_arrives(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    live.add_kiosk(a.id)
    live.add_kiosk(b.id)
    a.borrow("S31", "B4")
    b.clock.advance(900)
    b.scan("B4")
    live.push(b.id, b.events())  # door A is still offline
    assert [i["kind"] for i in _open(live)] == ["return_not_on_loan"]
    live.push(a.id, a.events())
    assert _open(live) == []
    loan = _loan(live, "B4")
    assert loan is not None and not loan["on_loan"]


def test_unsynced_events_are_retimed_by_the_time_the_server_received_them(
    live: LiveServer, tmp_path: object
) -> None:
    from pathlib import Path

    from tests.sync.conftest import make_kiosk

    # A Pi after a power cut: its clock says a week ago, but the server knows better.
    k = make_kiosk(
        Path(str(tmp_path)) / "late.db",
        "door-late",
        "2026-11-16 12:15",
        synced=False,
        boot_id="boot-2",
    )
    try:
        _retimed(live, k)
    finally:
        k.store.close()


def _retimed(live: LiveServer, k: Kiosk) -> None:
    live.add_kiosk(k.id)
    k.borrow("S31", "B5")
    journal = k.events()
    mono_now = journal[-1].stamp.mono + 60  # the push leaves a minute after the last event
    live.push(k.id, journal, boot_id="boot-2", mono=mono_now)
    with reading(live.engine) as conn:
        rows = conn.execute(
            select(events.c.effective_time, events.c.timing, events.c.mono_time)
            .where(events.c.kiosk == k.id)
            .order_by(events.c.seq)
        ).all()
    assert {r.timing for r in rows} == {"received"}
    last = rows[-1]
    assert (live.clock() - last.effective_time).total_seconds() == 60
    loan = _loan(live, "B5")
    assert loan is not None and loan["borrowed_at"] == rows[1].effective_time


def test_an_event_whose_id_belongs_to_another_kiosk_is_rejected_and_the_rest_stored(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a, b = kiosks["door-a"], kiosks["door-b"]
    live.add_kiosk(a.id)
    live.add_kiosk(b.id)
    a.borrow("S31", "B1")
    b.borrow("S32", "B2")
    live.push(a.id, a.events())
    mine = b.events()
    forged = dataclasses.replace(mine[1], id=a.events()[1].id)  # door A's event id
    answer = live.push(b.id, [mine[0], forged, mine[2]])
    assert [(r.status, r.reason) for r in answer.results] == [
        (Status.ACCEPTED, None),
        (Status.REJECTED, "id_taken"),
        (Status.ACCEPTED, None),
    ]
    assert [(g.first, g.last) for g in answer.gaps] == [(2, 2)]
