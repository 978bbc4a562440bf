"""What the sync worker pulled from the server, applied to the kiosk's file in one transaction.

A page holds school data (readers, copies, the policy) changed since the kiosk's cursor,
with deletions, the server's loans (complete up to the page's moment), and the new arrivals. The
page and the cursor it ends at are written together, so a crash leaves either all of it or none.

Rows the server sent carry its revision (``server_revision``); rows imported on the kiosk
itself have none and are never touched by a snapshot's sweep. A deleted reader is deleted here
too (children's data); a deleted copy only becomes inactive, so that a copy still out can be
returned. The server's loans live in ``pulled_loans``, apart from the kiosk's own projection
(``loans``), which ``kiosk doctor --rebuild-loans`` rebuilds from the journal alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from kiosk.core.models import Copy, Reader
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.core.reservations import Reservation
from kiosk.store import _reservationview
from kiosk.store._school_data import COPIES, READERS, copy_rows, reader_rows
from kiosk.store._time import iso, now_iso


@dataclass(frozen=True)
class PulledLoan:
    barcode: str
    on_loan: bool
    card: str | None
    borrowed_at: datetime | None
    due: date | None
    revision: int
    renewals: int = 0  # a server older than renewals sends none


@dataclass(frozen=True)
class Arrival:
    barcode: str
    title: str
    author: str


@dataclass(frozen=True)
class Cursor:
    school_data: int = 0  # readers, copies and policy seen up to this revision
    loans: int = 0


@dataclass(frozen=True)
class PulledPage:
    snapshot: bool  # the first page of everything, from scratch
    complete: bool  # the last page for now
    cursor: Cursor
    readers: Sequence[tuple[Reader, int]] = ()  # with the server's revision
    deleted_readers: Sequence[str] = ()
    copies: Sequence[tuple[Copy, int]] = ()
    deleted_copies: Sequence[str] = ()
    policy: tuple[str, int] | None = None  # source, revision
    loans: Sequence[PulledLoan] = ()
    new_arrivals: Sequence[Arrival] | None = None  # None: unchanged
    # card -> (first day of term, checkouts this term at every kiosk); see _loanview.py.
    term_checkouts: Mapping[str, tuple[date, int]] = field(default_factory=dict)
    reflects_through: int = 0
    # Every waiting and ready reservation (预约); None: the server sent none (older than them).
    reservations: Sequence[Reservation] | None = None


def apply(conn: sqlite3.Connection, page: PulledPage) -> None:
    """Write one page and its cursor (call inside the store's write transaction)."""
    assert conn.in_transaction, "a pull is applied in one transaction"
    generation, open_snapshot = conn.execute(
        "SELECT generation, snapshot_open FROM sync_state WHERE id = 1"
    ).fetchone()
    if page.snapshot:
        generation, open_snapshot = generation + 1, 1
    stamp = now_iso()
    _upsert(
        conn,
        "readers",
        "card",
        reader_rows(r for r, _ in page.readers),
        {r.card: rev for r, rev in page.readers},
        generation,
        stamp,
    )
    _upsert(
        conn,
        "copies",
        "barcode",
        copy_rows(c for c, _ in page.copies),
        {c.barcode: rev for c, rev in page.copies},
        generation,
        stamp,
    )
    conn.executemany("DELETE FROM readers WHERE card = ?", [(c,) for c in page.deleted_readers])
    conn.executemany(
        "UPDATE copies SET active = 0, updated_at = ? WHERE barcode = ?",
        [(stamp, b) for b in page.deleted_copies],
    )
    problem = _policy(conn, page.policy, stamp)
    _loans(conn, page)
    if page.snapshot:
        conn.execute("DELETE FROM pulled_term_checkouts")
    conn.executemany(
        "INSERT INTO pulled_term_checkouts (card, term_start, checkouts) VALUES (?, ?, ?) "
        "ON CONFLICT (card) DO UPDATE SET term_start = excluded.term_start, "
        "checkouts = excluded.checkouts",
        [(card, start.isoformat(), n) for card, (start, n) in page.term_checkouts.items()],
    )
    if page.reservations is not None:
        _reservationview.replace_pulled(conn, page.reservations)
    if page.new_arrivals is not None:
        conn.execute("DELETE FROM new_arrivals")
        conn.executemany(
            "INSERT INTO new_arrivals (position, barcode, title, author) VALUES (?, ?, ?, ?)",
            [(n, a.barcode, a.title, a.author) for n, a in enumerate(page.new_arrivals)],
        )
    if page.complete and open_snapshot:
        # Everything the server has was sent in this snapshot: what it did not send is gone.
        conn.execute(
            "DELETE FROM readers WHERE server_revision IS NOT NULL AND pull_generation < ?",
            (generation,),
        )
        conn.execute(
            "UPDATE copies SET active = 0, updated_at = ? WHERE server_revision IS NOT NULL "
            "AND pull_generation < ? AND active = 1",
            (stamp, generation),
        )
        open_snapshot = 0
    # The pulled loans include this kiosk's events the server holds; this kiosk counts as the
    # server's only what the server answered (a server restored from an older copy of this
    # kiosk's file holds other events under the same numbers: see _forks.py).
    conn.execute(
        "UPDATE sync_state SET cursor_reference = ?, cursor_loans = ?, "
        "reflects_through = min(?, pushed_through), "
        "pulled = 1, generation = ?, snapshot_open = ?, last_pull_at = ?, "
        "want_snapshot = CASE WHEN ? THEN 0 ELSE want_snapshot END, "
        "policy_problem = coalesce(?, CASE WHEN ? THEN NULL ELSE policy_problem END) WHERE id = 1",
        (
            page.cursor.school_data,
            page.cursor.loans,
            page.reflects_through,
            generation,
            open_snapshot,
            stamp,
            page.snapshot,
            problem,
            page.policy is not None,
        ),
    )


def _upsert(
    conn: sqlite3.Connection,
    table: str,
    key: str,
    rows: dict[str, tuple[object, ...]],
    revisions: dict[str, int],
    generation: int,
    stamp: str,
) -> None:
    if not rows:
        return
    columns = (READERS if table == "readers" else COPIES).columns
    names = (key, *columns, "updated_at", "server_revision", "pull_generation")
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in names[1:])
    )
    conn.executemany(sql, [(k, *v, stamp, revisions[k], generation) for k, v in rows.items()])


def _policy(conn: sqlite3.Connection, policy: tuple[str, int] | None, stamp: str) -> str | None:
    """Save a pulled policy; the problem, if this kiosk cannot read it (then the old one stays)."""
    if policy is None:
        return None
    source, revision = policy
    try:
        parse_policy(source)
    except PolicyError as exc:
        return f"the server's policy (revision {revision}) was not applied: {exc}"
    conn.execute(
        "INSERT INTO policy (id, source, imported_at, server_revision) VALUES (1, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET source = excluded.source, "
        "imported_at = excluded.imported_at, server_revision = excluded.server_revision",
        (source, stamp, revision),
    )
    return None


def _loans(conn: sqlite3.Connection, page: PulledPage) -> None:
    if page.snapshot:
        conn.execute("DELETE FROM pulled_loans")
    for loan in page.loans:
        if loan.on_loan and loan.card and loan.borrowed_at and loan.due:
            conn.execute(
                "INSERT INTO pulled_loans (barcode, card, borrowed_at, due, revision, renewals) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (barcode) DO UPDATE SET card = excluded.card, "
                "borrowed_at = excluded.borrowed_at, due = excluded.due, "
                "revision = excluded.revision, renewals = excluded.renewals",
                (
                    loan.barcode,
                    loan.card,
                    iso(loan.borrowed_at),
                    loan.due.isoformat(),
                    loan.revision,
                    loan.renewals,
                ),
            )
        else:
            conn.execute("DELETE FROM pulled_loans WHERE barcode = ?", (loan.barcode,))


def new_arrivals(conn: sqlite3.Connection) -> list[Arrival]:
    rows = conn.execute("SELECT barcode, title, author FROM new_arrivals ORDER BY position")
    return [Arrival(str(b), str(t), str(a)) for b, t, a in rows]
