"""A pull: what changed since a kiosk's cursor, in pages, or everything when it has no cursor.

School data (readers, copies, policy) comes in revision order, at most MAX_PULL_ROWS a page,
with tombstones (``deleted``); the loans always come complete up to the same moment, so that a
kiosk's loan table is never half of one state and half of another. ``reflects_through`` is read
before the revision: every event of the kiosk up to it is folded into the loans sent.
A cursor older than the server's ``horizon`` (tombstones were purged) gets a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, func, not_, or_, select

from kiosk.core.policy_file import PolicyError, parse_policy
from sync.protocol import (
    MAX_NEW_ARRIVALS,
    MAX_PULL_ROWS,
    PROTOCOL_VERSION,
    Cursor,
    NewArrival,
    PullRequest,
    PullResponse,
    TermCheckouts,
    WireCopy,
    WireLoan,
    WirePolicy,
    WireReader,
    WireReservation,
)
from sync.server import journals, reservations, revisions
from sync.server.db import reading
from sync.server.tables import (
    copies,
    counters,
    events,
    kiosks,
    loans,
    new_arrivals,
    policy,
    readers,
)

HORIZON = "horizon"  # the counter row: revisions at or below it may have lost their tombstones
# Above this many changed copies in one pull, every reader's count is sent: one grouped count
# costs less than a list of barcodes that long.
MAX_COUNTED_COPIES = 500
# How often each loan was renewed: its reader's renewals of the copy since it was lent (the
# fold takes the due date from the last; sync.server.loans).
_RENEWALS = (
    select(func.count())
    .where(
        events.c.barcode == loans.c.barcode,
        events.c.type == "renewal",
        events.c.card == loans.c.card,
        events.c.effective_time >= loans.c.borrowed_at,
    )
    .correlate(loans)
    .scalar_subquery()
    .label("renewals")
)


def pull(
    engine: Engine, kiosk: str, request: PullRequest, page: int = MAX_PULL_ROWS
) -> PullResponse:
    path = journals.Path.of(request.journals)
    with reading(engine) as conn:
        acked = int(
            conn.execute(select(kiosks.c.acked_through).where(kiosks.c.name == kiosk)).scalar_one()
        )
        # Along the journals the kiosk says it has now (it may have begun one since its push).
        start = min([acked, *(first - 1 for _, first in path.starts[1:])])
        reflects = acked
        said_lost = [(r.first, r.last) for r in request.lost]
        if start < acked or said_lost:
            reflects, _ = journals.advance(conn, kiosk, path, start, said_lost)
        top = revisions.latest(conn)
        horizon = (
            conn.execute(select(counters.c.value).where(counters.c.name == HORIZON)).scalar() or 0
        )
        cursor = request.cursor
        snapshot = cursor is None or min(cursor.reference, cursor.loans) < horizon
        if cursor is None or snapshot or cursor.reference > top or cursor.loans > top:
            # No cursor, or one from before a purge (or from another server): start over.
            cursor, snapshot = Cursor(reference=0, loans=0), True
        data_rows = _school_data(conn, cursor.reference, top, page, live_only=snapshot)
        complete = len(data_rows) <= page
        data_rows = data_rows[:page]
        data_cursor = data_rows[-1][0] if not complete else top
        loan_query = select(loans, _RENEWALS).where(
            loans.c.revision > cursor.loans, loans.c.revision <= top
        )
        if snapshot:
            loan_query = loan_query.where(loans.c.on_loan.is_(True))  # no tombstones
        loan_rows = conn.execute(loan_query.order_by(loans.c.revision)).all()
        arrivals = _new_arrivals(conn) if complete else None
        every_count = snapshot or any(isinstance(r, WirePolicy) for _, r in data_rows)
        counts = _term_checkouts(
            conn, kiosk, path, reflects, [r.barcode for r in loan_rows], every_count
        )
        response = PullResponse(
            protocol=PROTOCOL_VERSION,
            snapshot=snapshot,
            complete=complete,
            cursor=Cursor(reference=data_cursor, loans=top),
            readers=[r for _, r in data_rows if isinstance(r, WireReader)],
            copies=[c for _, c in data_rows if isinstance(c, WireCopy)],
            policy=next((p for _, p in data_rows if isinstance(p, WirePolicy)), None),
            loans=[_loan(r) for r in loan_rows],
            new_arrivals=arrivals,
            reflects_through=reflects,
            term_checkouts=counts,
            journals_held=journals.highest(conn, kiosk),
            reservations=_reservations(conn) if complete else None,
        )
    return response


def _term_checkouts(
    conn: Connection,
    kiosk: str,
    path: journals.Path,
    reflects: int,
    changed: Sequence[str],
    every: bool,
) -> list[TermCheckouts]:
    """This term's checkouts per reader, at every kiosk: of the readers who borrowed one of the
    ``changed`` copies this term, or of everyone (``every``: a snapshot, or a new policy that
    may move the term). The asking kiosk's own events on its path count up to ``reflects``
    only: it adds those after that itself (events of another of its histories, which its file
    does not hold, count here)."""
    source = conn.execute(select(policy.c.source).where(policy.c.id == 1)).scalar()
    term = _term_start(source) if source is not None else None
    if term is None or not (every or changed):
        return []
    start_day, start = term
    counted = (
        events.c.type == "checkout",
        events.c.card.is_not(None),
        events.c.effective_time >= start,
        or_(events.c.kiosk != kiosk, events.c.seq <= reflects, not_(path.sql())),
    )
    query = select(events.c.card, func.count()).where(*counted).group_by(events.c.card)
    if not every and len(changed) <= MAX_COUNTED_COPIES:
        borrowers = select(events.c.card).where(
            events.c.type == "checkout",
            events.c.effective_time >= start,
            events.c.barcode.in_(changed),
        )
        query = query.where(events.c.card.in_(borrowers))
    return [
        TermCheckouts(card=card, term_start=start_day.isoformat(), checkouts=int(n))
        for card, n in conn.execute(query.order_by(events.c.card))
    ]


@lru_cache(maxsize=4)
def _term_start(source: str) -> tuple[date, datetime] | None:
    """The policy's first day of term, and its first moment where the library is."""
    try:
        parsed = parse_policy(source)
    except PolicyError:
        return None  # the server saves only policies that parse; an old row is no reason to fail
    return parsed.term.start, parsed.term_began


Change = tuple[int, WireReader | WireCopy | WirePolicy]


def _school_data(
    conn: Connection, after: int, top: int, page: int, *, live_only: bool
) -> list[Change]:
    """Up to ``page + 1`` changes of readers, copies and policy after ``after``, in order."""
    found: list[Change] = []
    sources: tuple[tuple[Table, Callable[[Row[Any]], WireReader | WireCopy | WirePolicy]], ...]
    sources = ((readers, _reader), (copies, _copy), (policy, _policy))
    for table, convert in sources:
        query = select(table).where(table.c.revision > after, table.c.revision <= top)
        if live_only and "deleted" in table.c:
            query = query.where(table.c.deleted.is_(False))
        for row in conn.execute(query.order_by(table.c.revision).limit(page + 1)):
            found.append((int(row.revision), convert(row)))
    found.sort(key=lambda change: change[0])
    return found[: page + 1]


def _reader(r: Row[Any]) -> WireReader:
    m = r._mapping
    return WireReader(
        card=m["card"],
        given_name=m["given_name"],
        role=m["role"],
        class_name=m["class_name"],
        grade=m["grade"],
        active=m["active"],
        deleted=m["deleted"],
        revision=m["revision"],
    )


def _copy(r: Row[Any]) -> WireCopy:
    m = r._mapping
    return WireCopy(
        barcode=m["barcode"],
        isbn=m["isbn"],
        title=m["title"],
        author=m["author"],
        category=m["category"],
        loan_type=m["loan_type"],
        price=m["price"],
        isbn_only=m["isbn_only"],
        active=m["active"],
        deleted=m["deleted"],
        revision=m["revision"],
    )


def _policy(r: Row[Any]) -> WirePolicy:
    return WirePolicy(source=r._mapping["source"], revision=r._mapping["revision"])


def _loan(r: Row[Any]) -> WireLoan:
    m = r._mapping
    borrowed = m["borrowed_at"]
    return WireLoan(
        barcode=m["barcode"],
        on_loan=m["on_loan"],
        card=m["card"],
        borrowed_at=borrowed.isoformat() if borrowed is not None else None,
        due=m["due"],
        revision=m["revision"],
        renewals=m["renewals"] if m["on_loan"] else 0,
    )


def _new_arrivals(conn: Connection) -> list[NewArrival]:
    """The copies the librarian chose (the pages' new-arrivals list), in her order; without a
    choice, the copies added last. Only copies that can be lent: the kiosk's idle screen shows
    them."""
    lendable = (
        copies.c.active.is_(True),
        copies.c.deleted.is_(False),
        copies.c.loan_type == "loan",
    )
    columns = (copies.c.barcode, copies.c.title, copies.c.author)
    rows = conn.execute(
        select(*columns)
        .join(new_arrivals, new_arrivals.c.barcode == copies.c.barcode)
        .where(*lendable)
        .order_by(new_arrivals.c.position)
        .limit(MAX_NEW_ARRIVALS)
    ).all()
    if not rows and conn.execute(select(new_arrivals.c.barcode).limit(1)).first() is None:
        rows = conn.execute(
            select(*columns)
            .where(*lendable)
            .order_by(copies.c.added_at.desc(), copies.c.barcode)
            .limit(MAX_NEW_ARRIVALS)
        ).all()
    return [NewArrival(barcode=r.barcode, title=r.title, author=r.author) for r in rows]


def purge_tombstones(conn: Connection, through: int) -> int:
    """Delete tombstones up to revision ``through``; kiosks with older cursors get a snapshot.

    Returns how many rows were deleted. Loans back on the shelf are tombstones too.
    """
    revisions.lock(conn)
    deleted = 0
    table: Table
    for table in (readers, copies):
        deleted += conn.execute(
            table.delete().where(table.c.deleted.is_(True), table.c.revision <= through)
        ).rowcount
    deleted += conn.execute(
        loans.delete().where(loans.c.on_loan.is_(False), loans.c.revision <= through)
    ).rowcount
    done = conn.execute(
        counters.update().where(counters.c.name == HORIZON).values(value=through)
    ).rowcount
    if not done:
        conn.execute(counters.insert().values(name=HORIZON, value=through))
    return deleted


def _reservations(conn: Connection) -> list[WireReservation]:
    return [
        WireReservation(
            id=r.id,
            card=r.card,
            isbn=r.isbn,
            barcode=r.barcode,
            ready_barcode=r.ready_barcode if r.state == reservations.READY else None,
            ready_until=r.ready_until if r.state == reservations.READY else None,
        )
        for r in reservations.open_ones(conn)
    ]
