"""The kiosk's file and sync: the outbox, pulled data kept apart from the kiosk's own, the loan
view that joins them, and retention through the one path past the no-delete trigger."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.journal import verify_chain
from kiosk.core.models import ClassName, Copy, Reader, ReaderRole
from kiosk.store import Acknowledgement, AcknowledgementError, Cursor, PulledLoan, PulledPage, Store
from tests.conftest import local
from tests.sync.conftest import Kiosk


def _ack_all(store: Store) -> None:
    store.sync.acknowledge([Acknowledgement(e.seq, True) for e in store.sync.unsent(10_000)])


def test_the_outbox_gives_unanswered_events_in_order_and_takes_answers_only_in_order(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    k.borrow("S32", "B2")
    store = k.store
    first = store.sync.unsent(2)
    assert [e.seq for e in first] == [1, 2]
    with pytest.raises(AcknowledgementError):
        store.sync.acknowledge([Acknowledgement(2, True)])  # 1 was never answered
    store.sync.acknowledge([Acknowledgement(1, True), Acknowledgement(2, False, "seq_taken")])
    assert [e.seq for e in store.sync.unsent(100)] == [3, 4, 5, 6]
    status = store.sync.status()
    assert (status.events_waiting, status.rejected, status.pushed_through) == (4, 1, 2)


def _page(**kw: object) -> PulledPage:
    values: dict[str, object] = {"snapshot": False, "complete": True, "cursor": Cursor(5, 5)}
    values.update(kw)
    return PulledPage(**values)  # type: ignore[arg-type]


def test_a_pull_updates_school_data_deletes_readers_and_keeps_local_rows(
    kiosks: dict[str, Kiosk],
) -> None:
    store = kiosks["door-a"].store
    newcomer = Reader("N1", "新来", ReaderRole.STUDENT, ClassName(2, 1), 2)
    store.sync.apply_pull(
        _page(
            snapshot=True,
            readers=[(newcomer, 3)],
            copies=[(Copy("NEW", "新书"), 4)],
            deleted_readers=["S42"],
            deleted_copies=["B5"],
        )
    )
    assert store.library.reader("N1") == newcomer
    assert store.library.reader("S42") is None  # a child who left: gone from the Pi
    b5 = store.library.copy("B5")
    assert b5 is not None and not b5.active  # a withdrawn copy can still be returned
    assert store.library.reader("S31") is not None  # imported on the kiosk: left alone
    assert store.sync.cursor() == Cursor(5, 5)
    # A second snapshot without N1 or NEW: what the server no longer has is gone.
    store.sync.apply_pull(_page(snapshot=True, cursor=Cursor(9, 9)))
    assert store.library.reader("N1") is None
    new = store.library.copy("NEW")
    assert new is not None and not new.active
    assert store.library.reader("S31") is not None


def test_a_policy_this_kiosk_cannot_read_is_not_applied_and_is_reported(
    kiosks: dict[str, Kiosk],
) -> None:
    store = kiosks["door-a"].store
    before = store.policy_source()
    store.sync.apply_pull(_page(policy=("[library]\nname = 1\n", 7)))
    assert store.policy_source() == before
    problem = store.sync.status().policy_problem
    assert problem is not None and "library.name" in problem
    assert store.sync.cursor() == Cursor(5, 5)  # the rest of the page was applied


def test_a_pulled_loan_from_another_door_is_returned_here_as_a_normal_return(
    kiosks: dict[str, Kiosk], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    k = kiosks["door-a"]
    borrowed = local("2026-11-20 12:15")
    k.store.sync.apply_pull(
        _page(
            loans=[
                PulledLoan("B3", True, "S32", borrowed, date(2026, 12, 4), 2),
            ]
        )
    )
    loan = k.store.library.loan("B3")
    assert loan is not None and loan.card == "S32"
    assert [x.barcode for x in k.store.library.loans_of("S32")] == ["B3"]
    # `kiosk doctor --rebuild-loans` rebuilds the kiosk's own projection: the pull stays.
    assert k.store.rebuild_loans() == 0
    assert k.store.library.loan("B3") is not None
    k.clock.advance(60)
    handled = k.door.scan("B3")
    assert handled.decision is not None and handled.decision.outcome.value == "returned"
    assert handled.decision.flags == ()  # not "not on loan": the kiosk knew from the server
    assert k.store.library.loan("B3") is None  # returned here, whatever the last pull said
    assert k.store.loans() == []


def test_a_local_checkout_not_yet_reflected_wins_over_the_last_pull(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    k.store.sync.apply_pull(_page(snapshot=True, reflects_through=0))
    k.borrow("S31", "B1")
    loan = k.store.library.loan("B1")
    assert loan is not None and loan.card == "S31"
    seq = k.events()[-1].seq
    # Pushed and answered; the server says it was returned at another door since.
    _ack_all(k.store)
    k.store.sync.apply_pull(
        _page(
            reflects_through=seq,
            loans=[
                PulledLoan("B1", False, None, None, None, 9),
            ],
        )
    )
    assert k.store.library.loan("B1") is None
    # ... so this door lends it again, though its own journal never saw it come back.
    k.borrow("S32", "B1")
    again = k.store.library.loan("B1")
    assert again is not None and again.card == "S32"
    assert k.store.projection_differences() == []


def test_a_readers_count_this_term_is_the_servers_plus_what_this_door_lent_since(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    term = example_term_start(k)
    k.borrow("S31", "B1")  # lent here and already on the server ...
    seq = k.events()[-1].seq
    _ack_all(k.store)
    # ... which counted it with four from the other door
    k.store.sync.apply_pull(
        _page(snapshot=True, reflects_through=seq, term_checkouts={"S31": (term.date(), 5)})
    )
    assert k.store.library.checkouts_since("S31", term) == 5
    k.scan("B1")  # returned here,
    k.clock.advance(10)
    k.borrow("S31", "B2")  # and another lent here the server has not seen yet
    assert k.store.library.checkouts_since("S31", term) == 6
    # A count for another term (the server's policy moved) is not used: the door's own is.
    k.store.sync.apply_pull(_page(term_checkouts={"S31": (date(2027, 2, 20), 1)}))
    assert k.store.library.checkouts_since("S31", term) == 2
    # A snapshot forgets counts it does not send: the server has none of S31 this term.
    k.store.sync.apply_pull(_page(snapshot=True, reflects_through=0))
    assert k.store.library.checkouts_since("S31", term) == 2


def test_a_kiosk_that_pulled_before_the_term_counts_existed_asks_for_everything_once(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    k.store.sync.apply_pull(_page(loans=[PulledLoan("B3", True, "S32", local("2026-11-20 12:15"),
                                                    date(2026, 12, 4), 2)]))  # fmt: skip
    conn = sqlite3.connect(k.store.path)
    conn.execute("UPDATE sync_state SET want_snapshot = 1")  # what m005 does to such a file
    conn.commit()
    conn.close()
    assert k.store.sync.cursor() is None  # the next pull is a snapshot ...
    assert k.store.library.loan("B3") is not None  # ... and until it lands the loans stay
    k.store.sync.apply_pull(_page(snapshot=True))
    assert k.store.sync.cursor() == Cursor(5, 5)


def example_term_start(k: Kiosk) -> datetime:
    return k.store.policy().term_began


def test_the_journal_cannot_be_deleted_from_except_by_retention(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    conn = sqlite3.connect(k.store.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events WHERE seq = 1")
        # Even with a permit, an event the server has not acknowledged stays.
        conn.execute("INSERT INTO retention_permit (id, through) VALUES (1, 99)")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events WHERE seq = 1")
        conn.rollback()
    finally:
        conn.close()


def test_retention_deletes_old_acknowledged_events_and_keeps_what_the_kiosk_needs(
    kiosks: dict[str, Kiosk], capsys: pytest.CaptureFixture[str]
) -> None:
    k = kiosks["door-a"]
    k.borrow("S31", "B1")  # still out after retention
    k.borrow("S32", "B2")
    k.clock.advance(60)
    k.scan("B2")  # returned
    k.clock.advance(40 * 86400)  # forty days later
    k.borrow("T1", "B3")
    unacked = k.events()[-1].seq
    store = k.store
    store.sync.acknowledge(
        [Acknowledgement(e.seq, True) for e in store.sync.unsent(10_000) if e.seq < unacked - 3]
    )
    reading_before = store.library.checkouts_since("S31", local("2026-09-01 00:00"))
    retired = store.sync.retire(k.clock.read().wall - timedelta(days=30))
    assert retired > 0
    kept = k.events()
    assert kept[0].seq == retired + 1 and kept[-1].seq == unacked  # unacknowledged stay
    _, first_prev = store.sync.chain_start()
    assert verify_chain(kept, first_prev) == []  # the chain verifies from the oldest kept
    assert store.projection_differences() == []  # B1's loan outlived its event
    loan = store.library.loan("B1")
    assert loan is not None and loan.card == "S31"
    assert store.library.checkouts_since("S31", local("2026-09-01 00:00")) == reading_before == 1
    assert main(["doctor", "--db", str(store.path)]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_retention_never_cuts_a_session_in_two(kiosks: dict[str, Kiosk]) -> None:
    k = kiosks["door-a"]
    k.scan("S31", "B1")  # a session still open: a crash left it so
    _ack_all(k.store)
    assert k.store.sync.retire(k.clock.read().wall + timedelta(days=1)) == 0
    assert k.store.open_session() is not None


def test_an_older_kiosk_file_is_carried_forward(kiosks: dict[str, Kiosk], tmp_path: Path) -> None:
    """A file written before sync existed gets the sync tables and keeps its journal and loans."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from kiosk.store._schema import m001_initial, m002_clock_source

    k = kiosks["door-a"]
    k.borrow("S31", "B1")
    journal = k.events()
    path = tmp_path / "old.db"
    db = Database(path)
    old = Migrations("kiosk")  # the store's migrations as they were before sync
    old()(m001_initial)
    old()(m002_clock_source)
    old.apply(db)
    db.execute("INSERT INTO kiosk (id, kiosk_id, created_at) VALUES (1, 'door-a', 'x')")
    columns = (
        "seq, id, kiosk_id, type, reason, session_id, card, barcode, code, due, flags, "
        "wall_time, clock_time, mono_time, boot_id, clock_synced, prev_hash, hash, format, "
        "clock_source"
    )
    source = sqlite3.connect(k.store.path)
    select_all = f"SELECT {columns} FROM events ORDER BY seq"  # noqa: S608 (fixed names)
    rows = source.execute(select_all).fetchall()
    loans = source.execute(
        "SELECT barcode, card, borrowed_at, due, event_seq FROM loans"
    ).fetchall()
    source.close()
    insert_all = f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * 20)})"  # noqa: S608
    db.conn.executemany(insert_all, rows)
    db.conn.executemany("INSERT INTO loans VALUES (?, ?, ?, ?, ?)", loans)
    db.conn.commit()
    db.close()
    with Store(path) as store:
        assert store.sync.status().events_waiting == len(journal)
        assert store.sync.cursor() is None
        assert [e.hash for e in store.events()] == [e.hash for e in journal]
        assert [loan.barcode for loan in store.loans()] == ["B1"]
        assert store.projection_differences() == []


def test_the_scanners_states_of_a_file_from_before_the_rename_are_kept(tmp_path: Path) -> None:
    """The app wrote the scanners' states to ``reader_status`` until the scanners were named so:
    the file's next opening renames the table, and the next heartbeat still sends them."""
    from sqlite_utils import Database

    from kiosk.store._schema import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m007_scanner_status")
    db.execute("INSERT INTO kiosk (id, kiosk_id, created_at) VALUES (1, 'door-a', 'x')")
    db.conn.executemany(
        "INSERT INTO reader_status (name, state, updated_at) VALUES (?, ?, 'x')",
        [("book-scanner", "disconnected"), ("card-reader", "ok")],
    )
    db.conn.commit()
    db.close()
    with Store(path) as store:
        assert store.sync.scanner_states() == [
            ("book-scanner", "disconnected"),
            ("card-reader", "ok"),
        ]
        store.sync.set_scanner_state("book-scanner", "ok")
        assert store.sync.scanner_states()[0] == ("book-scanner", "ok")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "scanner_status" in tables and "reader_status" not in tables
