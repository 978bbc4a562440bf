"""What kiosks pull: roster, catalogue, policy, loans and new arrivals, by cursor, in pages,
with deletions; a cursor too old gets a snapshot. On SQLite and PostgreSQL."""

from __future__ import annotations

from kiosk.core.models import ClassName, Copy, Reader, ReaderRole
from kiosk.imports import read_catalog, read_roster
from sync.server import feed, school_data
from tests.conftest import EXAMPLES
from tests.sync.conftest import Kiosk, LiveServer


def _load_school(live: LiveServer) -> None:
    with live.engine.begin() as conn:
        school_data.save_policy(conn, (EXAMPLES / "policy.toml").read_text("utf-8"), live.clock())
        school_data.import_readers(
            conn, read_roster(EXAMPLES / "roster.csv").items, live.clock(), deactivate_missing=True
        )
        school_data.import_copies(
            conn,
            read_catalog(EXAMPLES / "catalog.csv").items,
            live.clock(),
            deactivate_missing=True,
        )


def test_a_first_pull_is_a_snapshot_and_the_next_sends_only_changes(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    _load_school(live)
    first = live.pull("door-a")
    assert first.snapshot and first.complete
    assert len(first.readers) == 38 and len(first.copies) == 34 and first.policy is not None
    assert first.new_arrivals and all(a.barcode for a in first.new_arrivals)
    cursor = first.cursor.model_dump()
    again = live.pull("door-a", cursor)
    assert not again.snapshot and again.readers == [] and again.copies == []
    assert again.policy is None
    with live.engine.begin() as conn:
        school_data.import_readers(
            conn,
            [Reader("NEW1", "新同学", ReaderRole.STUDENT, ClassName(2, 1), 2)],
            live.clock(),
            deactivate_missing=False,
        )
        school_data.delete_readers(conn, ["T0001"], live.clock())
    changes = live.pull("door-a", cursor)
    assert {(r.card, r.deleted) for r in changes.readers} == {("NEW1", False), ("T0001", True)}
    gone = next(r for r in changes.readers if r.deleted)
    assert gone.given_name == ""  # a tombstone carries no name


def test_school_data_comes_in_pages_and_each_row_once(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    with live.engine.begin() as conn:
        school_data.import_copies(
            conn,
            [Copy(f"P{n:04d}", f"书{n}") for n in range(25)],
            live.clock(),
            deactivate_missing=True,
        )
    from sync.protocol import PROTOCOL_VERSION, Cursor, PullRequest

    seen: list[str] = []
    cursor: Cursor | None = None
    pages = 0
    while True:
        page = feed.pull(
            live.engine,
            "door-a",
            PullRequest(protocol=PROTOCOL_VERSION, kiosk_id="door-a", cursor=cursor),
            page=10,
        )
        pages += 1
        seen += [c.barcode for c in page.copies]
        cursor = page.cursor
        if page.complete:
            break
    assert pages == 3 and sorted(seen) == [f"P{n:04d}" for n in range(25)]


def test_loans_reach_other_kiosks_with_the_events_they_reflect(
    live: LiveServer, kiosks: dict[str, Kiosk]
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    live.add_kiosk("door-b")
    a.borrow("S31", "B1")
    live.push(a.id, a.events())
    pulled = live.pull("door-b")
    assert [(loan.barcode, loan.card, loan.on_loan) for loan in pulled.loans] == [
        ("B1", "S31", True)
    ]
    assert live.pull(a.id).reflects_through == a.events()[-1].seq
    a.clock.advance(60)
    a.scan("B1")  # returned
    live.push(a.id, a.events())
    later = live.pull("door-b", pulled.cursor.model_dump())
    assert [(loan.barcode, loan.on_loan) for loan in later.loans] == [("B1", False)]


def test_a_cursor_older_than_the_purged_tombstones_gets_a_snapshot(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    _load_school(live)
    cursor = live.pull("door-a").cursor.model_dump()
    with live.engine.begin() as conn:
        school_data.delete_readers(conn, ["T0001"], live.clock())
    with live.engine.begin() as conn:
        from sync.server import revisions

        feed.purge_tombstones(conn, revisions.latest(conn))
    after = live.pull("door-a", cursor)
    assert after.snapshot and "T0001" not in {r.card for r in after.readers}
    assert len(after.readers) == 37


def test_a_new_policy_is_pulled_once(live: LiveServer) -> None:
    live.add_kiosk("door-a")
    _load_school(live)
    cursor = live.pull("door-a").cursor.model_dump()
    text = (
        (EXAMPLES / "policy.toml")
        .read_text("utf-8")
        .replace("idle_seconds = 20", "idle_seconds = 30")
    )
    assert "idle_seconds = 30" in text
    with live.engine.begin() as conn:
        school_data.save_policy(conn, text, live.clock())
    changed = live.pull("door-a", cursor)
    assert changed.policy is not None and "idle_seconds = 30" in changed.policy.source
    assert live.pull("door-a", changed.cursor.model_dump()).policy is None
