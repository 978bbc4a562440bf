"""One sync (`kiosk sync once`): push what the server has not acknowledged, pull what changed,
send a heartbeat, tidy the file.

Push: the oldest unacknowledged events, one batch in flight; the answers are written in one
short transaction; then the next batch. A crash at any point loses nothing: unacknowledged
events are sent again and the server answers ``duplicate``. Pull: page after page, each page
and its cursor in one transaction. The door never waits long on any of it (each transaction is
milliseconds; `bench/bench_sync.py` measures the longest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from kiosk import __version__
from kiosk.clocks import Clock
from kiosk.core.models import ClassName, Copy, LoanType, Reader, ReaderRole
from kiosk.core.moments import ClockSource
from kiosk.core.reservations import Reservation
from kiosk.store import (
    Acknowledgement,
    AcknowledgementError,
    Arrival,
    Cursor,
    PulledLoan,
    PulledPage,
    Store,
    SyncProblem,
)
from sync.protocol import (
    PROTOCOL_VERSION,
    ClockReading,
    Heartbeat,
    JournalStart,
    PullRequest,
    PullResponse,
    PushRequest,
    ScannerState,
    SeqRange,
    Status,
    WireCopy,
    WireReader,
    journal_of,
    wire_event,
)
from sync.protocol import Cursor as WireCursor
from sync.settings import Settings
from sync.worker import client as wire
from sync.worker.client import (
    ServerFailure,
    ServerRefused,
    ServerUnavailable,
    SyncClient,
    SyncError,
    UntrustedServer,
)

MAX_PULL_PAGES = 1000  # a pull that never completes is a server bug; stop and try next time


class OutboxMoved(SyncError):  # noqa: N818 (a state, like the client's errors)
    """The outbox changed under this sync: another sync of the file answered the same events."""


@dataclass
class Report:
    pushed: int = 0  # events the server stored for the first time
    duplicates: int = 0  # events it already had (a resend after a crash or a lost answer)
    rejected: int = 0
    pages: int = 0
    retired: int = 0
    # (journal, first event) of a journal begun: the server held other events under this
    # file's numbers (the file was restored from an older backup; kiosk.store._forks)
    forked: tuple[int, int] | None = None
    # (first, last) events sent again: the server had lost them (restored from a backup)
    resent: tuple[int, int] | None = None

    def __str__(self) -> str:
        said = (
            f"{self.pushed} event(s) sent, {self.duplicates} already on the server, "
            f"{self.rejected} refused; {self.pages} page(s) pulled; {self.retired} old event(s) "
            "deleted"
        )
        if self.forked is not None:
            journal, first = self.forked
            said += (
                f"; the server held other events under this kiosk's numbers from {first} on "
                f"(was this SD card restored from an older backup?): events from {first} on "
                f"were sent as journal {journal}, both are kept"
            )
        if self.resent is not None:
            first, last = self.resent
            said += (
                f"; the server no longer had events {first}-{last} (was it restored from a "
                "backup?): sent again"
            )
        return said


# A push that finds the server's history and the kiosk's apart starts over at most this often in
# one sync (each time the store moved the outbox back: kiosk.store._forks).
MAX_RESTARTS = 3


def _reading(clock: Clock) -> ClockReading:
    now = clock.read()
    return ClockReading(
        wall=now.wall.isoformat(), mono=now.mono, boot_id=now.boot_id, synced=now.synced
    )


def _journals(store: Store) -> list[JournalStart]:
    path = store.sync.journals()
    if path == [(0, 1)]:
        return []  # a kiosk that never forked says nothing (what servers before journals read)
    return [JournalStart(number=n, from_seq=f) for n, f in path]


def _lost(store: Store) -> list[SeqRange]:
    return [SeqRange(first=a, last=b) for a, b in store.sync.lost()]


def push(store: Store, client: SyncClient, clock: Clock, batch: int, report: Report) -> None:
    restarts = 0
    while events := store.sync.unsent(batch):
        journals = _journals(store)
        request = PushRequest(
            protocol=PROTOCOL_VERSION,
            kiosk_id=store.kiosk_id,
            sent=_reading(clock),
            events=[wire_event(e, journal_of(journals, e.seq)) for e in events],
            journals=journals,
            lost=_lost(store),
        )
        before = store.sync.status().pushed_through
        answer = wire.push(client, request)
        if [(r.id, r.seq) for r in answer.results] != [(e.id, e.seq) for e in events]:
            raise ServerUnavailable(
                ServerFailure.BAD_ANSWER, "the server's answer does not match the events sent"
            )
        # The server holds another event under one of these numbers: the file's history forked
        # from the server's there. Answers from there on are not kept: they go again, as a new
        # journal's.
        taken = next(
            (r.seq for r in answer.results if r.status is Status.REJECTED
             and r.reason == "seq_taken"),
            None,
        )  # fmt: skip
        answers = [r for r in answer.results if taken is None or r.seq < taken]
        for r in answers:
            if r.status is Status.ACCEPTED:
                report.pushed += 1
            elif r.status is Status.DUPLICATE:
                report.duplicates += 1
            else:
                report.rejected += 1
        try:
            store.sync.acknowledge(
                [Acknowledgement(r.seq, r.status is not Status.REJECTED, r.reason) for r in answers]
            )
        except AcknowledgementError as exc:
            # Only another sync of this file moves the outbox (the sync lock keeps that from
            # happening); nothing is lost: the next sync sends whatever is still unanswered.
            raise OutboxMoved(
                f"another sync of this kiosk answered these events first ({exc}); "
                "the next sync carries on from there"
            ) from None
        if taken is not None:
            _fork(store, report, taken, answer.journals_held, answer.acked_through)
        elif _held_as_sent(store, report, answer.acked_through, answer.journals_held, before):
            continue
        restarts += 1
        if restarts > MAX_RESTARTS:
            raise ServerUnavailable(
                ServerFailure.BAD_ANSWER,
                "the server's history and this kiosk's still disagree after "
                f"{MAX_RESTARTS} tries; the next sync tries again",
            )


def _fork(store: Store, report: Report, from_seq: int, journals_held: int, server_has: int) -> None:
    journal = store.sync.fork(from_seq, above=journals_held, server_held=server_has)
    report.forked = (journal, from_seq)


def _held_as_sent(
    store: Store, report: Report, server_has: int, journals_held: int, pushed_before: int
) -> bool:
    """Whether the server holds this kiosk's events as the outbox says; if not, the outbox is
    set right (False): events it lost are sent again; if it holds more than this file has,
    the file began a new journal."""
    if server_has < pushed_before:
        resent = store.sync.rewind(server_has)
        if resent is not None:
            report.resent = resent
            return False
    elif server_has > store.sync.last_seq():
        status = store.sync.status()
        _fork(store, report, status.pushed_through + 1, journals_held, server_has)
        return False
    return True


def pull(store: Store, client: SyncClient, report: Report) -> bool:
    """Pull every page; False if the server turned out not to hold this kiosk's events as the
    outbox says (then the outbox was set right: push and pull again)."""
    for _ in range(MAX_PULL_PAGES):
        cursor = store.sync.cursor()
        request = PullRequest(
            protocol=PROTOCOL_VERSION,
            kiosk_id=store.kiosk_id,
            cursor=WireCursor(reference=cursor.school_data, loans=cursor.loans) if cursor else None,
            journals=_journals(store),
            lost=_lost(store),
        )
        answer = wire.pull(client, request)
        store.sync.apply_pull(page_of(answer))
        report.pages += 1
        if answer.complete:
            pushed = store.sync.status().pushed_through
            return _held_as_sent(
                store, report, answer.reflects_through, answer.journals_held, pushed
            )
    raise ServerUnavailable(
        ServerFailure.BAD_ANSWER, f"the pull did not complete in {MAX_PULL_PAGES} pages"
    )


def heartbeat(store: Store, client: SyncClient, clock: Clock) -> None:
    status = store.sync.status()
    answer = wire.heartbeat(
        client,
        Heartbeat(
            protocol=PROTOCOL_VERSION,
            kiosk_id=store.kiosk_id,
            version=__version__,
            events_waiting=status.events_waiting,
            last_sync=status.last_pull_at,
            clock=_reading(clock),
            scanners=[ScannerState(name=n, state=s) for n, s in store.sync.scanner_states()],
            clock_problem=client.time_checks_skipped,
        ),
    )
    # The server's time, on this kiosk's monotonic clock: the door believes it for this boot.
    # (Read as the answer arrives; the request's own round trip is well under a second.)
    store.sync.record_server_clock(datetime.fromisoformat(answer.server_time), clock.read())


def sync_once(store: Store, client: SyncClient, settings: Settings, clock: Clock) -> Report:
    """One sync; what happened (or why it failed) is kept for the admin screen and doctor."""
    report = Report()
    try:
        push(store, client, clock, settings.batch_events, report)
        if not pull(store, client, report):
            # The server lost events, or holds another history under this file's numbers:
            # the outbox was set right; send what that means, and pull again.
            push(store, client, clock, settings.batch_events, report)
            pull(store, client, report)
        heartbeat(store, client, clock)
    except SyncError as exc:
        store.sync.record_attempt(
            clock.read().wall, succeeded=False, kind=_problem_kind(exc), problem=str(exc)
        )
        raise
    skipped = client.time_checks_skipped
    store.sync.record_attempt(
        clock.read().wall,
        succeeded=True,
        kind=SyncProblem.CLOCK_BEHIND_CERTIFICATE if skipped else None,
        problem=skipped,
    )
    store.sync.checkpoint_wal()
    now = trusted_now(store, clock)
    if now is not None:
        report.retired = store.sync.retire(now - timedelta(days=settings.retention_days))
    return report


def trusted_now(store: Store, clock: Clock) -> datetime | None:
    """The time retention may count from: a synchronised clock's, or the server's as heard in
    this boot (the heartbeat just recorded it); None when neither is known.

    An unsynchronised Pi may read 2099 after a power cut: counted from that, every event the
    server acknowledged would be deleted at once, and a server restored from an older backup
    could never get them back.
    """
    now = clock.read()
    if now.synced and now.source is ClockSource.SYSTEM:
        return now.wall
    server = store.server_clock()
    if server is not None and server.boot_id == now.boot_id and now.mono >= server.mono:
        return server.wall + timedelta(seconds=now.mono - server.mono)
    return None


def _problem_kind(exc: SyncError) -> SyncProblem:
    if isinstance(exc, UntrustedServer):
        return SyncProblem.UNTRUSTED
    if isinstance(exc, ServerRefused):
        return SyncProblem.REFUSED
    if isinstance(exc, OutboxMoved):
        return SyncProblem.OVERLAPPED
    return SyncProblem.UNREACHABLE


def page_of(answer: PullResponse) -> PulledPage:
    """A pull's answer as the store's values."""
    return PulledPage(
        snapshot=answer.snapshot,
        complete=answer.complete,
        cursor=Cursor(answer.cursor.reference, answer.cursor.loans),
        readers=[(_reader(r), r.revision) for r in answer.readers if not r.deleted],
        deleted_readers=[r.card for r in answer.readers if r.deleted],
        copies=[(_copy(c), c.revision) for c in answer.copies if not c.deleted],
        deleted_copies=[c.barcode for c in answer.copies if c.deleted],
        policy=(answer.policy.source, answer.policy.revision) if answer.policy else None,
        loans=[
            PulledLoan(
                barcode=loan.barcode,
                on_loan=loan.on_loan,
                card=loan.card,
                borrowed_at=datetime.fromisoformat(loan.borrowed_at) if loan.borrowed_at else None,
                due=date.fromisoformat(loan.due) if loan.due else None,
                revision=loan.revision,
                renewals=loan.renewals,
            )
            for loan in answer.loans
        ],
        reservations=None
        if answer.reservations is None
        else [
            Reservation(
                r.id,
                r.card,
                r.isbn,
                r.barcode,
                r.ready_barcode,
                date.fromisoformat(r.ready_until) if r.ready_until else None,
            )
            for r in answer.reservations
        ],
        new_arrivals=None
        if answer.new_arrivals is None
        else [Arrival(a.barcode, a.title, a.author) for a in answer.new_arrivals],
        reflects_through=answer.reflects_through,
        term_checkouts={
            t.card: (date.fromisoformat(t.term_start), t.checkouts) for t in answer.term_checkouts
        },
    )


def _reader(r: WireReader) -> Reader:
    class_name = None
    if r.class_name:
        grade, _, number = r.class_name.partition("-")
        class_name = ClassName(int(grade), int(number))
    return Reader(
        card=r.card,
        given_name=r.given_name,
        role=ReaderRole(r.role),
        class_name=class_name,
        grade=r.grade,
        active=r.active,
    )


def _copy(c: WireCopy) -> Copy:
    return Copy(
        barcode=c.barcode,
        title=c.title,
        isbn=c.isbn,
        author=c.author,
        category=c.category,
        loan_type=LoanType(c.loan_type),
        price=Decimal(c.price) if c.price is not None else None,
        active=c.active,
        isbn_only=c.isbn_only,
    )
