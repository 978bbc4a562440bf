"""The store's tables, one migration per change, applied in order under one write lock.

systemd starts the touchscreen app and the sync worker together after an upgrade: both open the
file at once and both find it old. :func:`migrate` takes SQLite's write lock before it looks at
what is pending, so one process migrates and the other waits, then finds nothing left to do.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from kiosk.store._db import write_transaction

migrations = Migrations("kiosk")


def is_kiosk_database(db: Database) -> bool:
    return bool(migrations.applied(db))


def pending(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


def migrate(db: Database, path: Path) -> None:
    """Bring the file up to date; safe when several processes do it at once."""
    if not migrations.pending(db):
        return  # the common case: one read, no lock
    with write_transaction(db, path):
        # sqlite-utils runs each migration in a savepoint of this transaction; what is pending
        # is looked at again now that nobody else can be migrating.
        migrations.apply(db)


@migrations()
def m001_initial(db: Database) -> None:
    # Inside the open transaction sqlite-utils runs a script statement by statement; Python's
    # own executescript would COMMIT first, and with it the lock that keeps migrations single.
    db.executescript(
        """
        CREATE TABLE kiosk (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            kiosk_id TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- Children's data: card number, given name and class only.
        CREATE TABLE readers (
            card TEXT PRIMARY KEY,
            given_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('student', 'teacher')),
            class_name TEXT,
            grade INTEGER,
            active INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE copies (
            barcode TEXT PRIMARY KEY,
            isbn TEXT,
            title TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            loan_type TEXT NOT NULL CHECK (loan_type IN ('loan', 'reference')),
            price TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            isbn_only INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX copies_isbn ON copies (isbn);
        CREATE TABLE policy (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            source TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        -- The journal: append-only, hash-chained, one gap-free sequence per kiosk.
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kiosk_id TEXT NOT NULL,
            type TEXT NOT NULL,
            reason TEXT NOT NULL,
            session_id TEXT,
            card TEXT,
            barcode TEXT,
            code TEXT,
            due TEXT,
            flags TEXT NOT NULL DEFAULT '',
            wall_time TEXT NOT NULL,
            clock_time TEXT NOT NULL,
            mono_time REAL NOT NULL,
            boot_id TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX events_card ON events (card, type, wall_time);
        CREATE INDEX events_session ON events (type, session_id);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
        -- The projection of the journal: rebuilt from events it comes out identical.
        CREATE TABLE loans (
            barcode TEXT PRIMARY KEY,
            card TEXT NOT NULL,
            borrowed_at TEXT NOT NULL,
            due TEXT NOT NULL,
            event_seq INTEGER NOT NULL REFERENCES events (seq)
        );
        CREATE INDEX loans_card ON loans (card);
        """
    )


@migrations()
def m002_clock_source(db: Database) -> None:
    """Journal format 2: where each event's time came from (the system, or an operator)."""
    db.executescript(
        """
        ALTER TABLE events ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE events ADD COLUMN clock_source TEXT NOT NULL DEFAULT 'system'
            CHECK (clock_source IN ('system', 'operator'));
        -- The door's two questions about time, answered without scanning back (kiosk.core.moments).
        CREATE INDEX events_system_time ON events (seq) WHERE clock_source = 'system';
        CREATE INDEX events_synced_time ON events (seq)
            WHERE clock_source = 'system' AND clock_synced = 1;
        """
    )


@migrations()
def m003_sync(db: Database) -> None:
    """The sync worker's tables: what the server has acknowledged, what was pulled from it, and
    retention (see _outbox.py, _pulled.py, _retention.py)."""
    db.executescript(
        """
        -- One row: how far the push and the pull have got.
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pushed_through INTEGER NOT NULL DEFAULT 0,   -- every event up to here was answered
            cursor_reference INTEGER NOT NULL DEFAULT 0,  -- the server's revision, per kind
            cursor_loans INTEGER NOT NULL DEFAULT 0,
            reflects_through INTEGER NOT NULL DEFAULT 0,  -- own events the pulled loans include
            pulled INTEGER NOT NULL DEFAULT 0,            -- 1 once a pull was applied
            generation INTEGER NOT NULL DEFAULT 0,        -- snapshots started
            snapshot_open INTEGER NOT NULL DEFAULT 0,     -- a snapshot's pages are arriving
            policy_problem TEXT,                          -- a pulled policy this kiosk can't read
            last_push_at TEXT,
            last_pull_at TEXT,
            checkpoint_seq INTEGER NOT NULL DEFAULT 0,    -- events up to here were retired
            checkpoint_hash TEXT NOT NULL
        );
        -- Nothing retired yet: the chain starts at the genesis hash, 64 zeros.
        INSERT INTO sync_state (id, checkpoint_hash) VALUES (1, hex(zeroblob(32)));
        -- Events the server refused to store (another event has that id or sequence number):
        -- answered, so not sent again, and never retired.
        CREATE TABLE outbox_rejections (
            seq INTEGER PRIMARY KEY,
            reason TEXT NOT NULL,
            rejected_at TEXT NOT NULL
        );
        -- Rows the server sent carry its revision; rows imported on the kiosk itself have none.
        ALTER TABLE readers ADD COLUMN server_revision INTEGER;
        ALTER TABLE readers ADD COLUMN pull_generation INTEGER;
        ALTER TABLE copies ADD COLUMN server_revision INTEGER;
        ALTER TABLE copies ADD COLUMN pull_generation INTEGER;
        ALTER TABLE policy ADD COLUMN server_revision INTEGER;
        -- The server's loans (from every kiosk), apart from this kiosk's own projection.
        CREATE TABLE pulled_loans (
            barcode TEXT PRIMARY KEY,
            card TEXT NOT NULL,
            borrowed_at TEXT NOT NULL,
            due TEXT NOT NULL,
            revision INTEGER NOT NULL
        );
        CREATE INDEX pulled_loans_card ON pulled_loans (card);
        CREATE TABLE new_arrivals (
            position INTEGER PRIMARY KEY,
            barcode TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT NOT NULL
        );
        -- A copy's own events after what the server reflects: the loan view looks them up.
        CREATE INDEX events_barcode ON events (barcode, seq);
        -- Retention: the loans and reading counts of retired events, and the one permit
        -- that lets the journal's no-delete trigger pass.
        CREATE TABLE checkpoint_loans (
            barcode TEXT PRIMARY KEY,
            card TEXT NOT NULL,
            borrowed_at TEXT NOT NULL,
            due TEXT NOT NULL,
            event_seq INTEGER NOT NULL
        );
        CREATE TABLE retired_checkouts (
            card TEXT NOT NULL,
            hour TEXT NOT NULL,        -- UTC hour of the checkouts, 2026-11-23T04
            checkouts INTEGER NOT NULL,
            PRIMARY KEY (card, hour)
        );
        -- What the touchscreen app says of each card and book scanner (the heartbeat sends it).
        CREATE TABLE reader_status (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE retention_permit (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            through INTEGER NOT NULL
        );
        DROP TRIGGER events_no_delete;
        -- Only acknowledged, never-rejected events, up to the permit, inside the transaction
        -- that holds the permit (kiosk.store._retention): nothing else can delete from it.
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN NOT (
            OLD.seq <= coalesce((SELECT through FROM retention_permit WHERE id = 1), 0)
            AND OLD.seq <= (SELECT pushed_through FROM sync_state WHERE id = 1)
            AND NOT EXISTS (SELECT 1 FROM outbox_rejections WHERE seq = OLD.seq)
        )
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
        -- A loan may outlive the event that made it (an overdue book past retention).
        CREATE TABLE loans_new (
            barcode TEXT PRIMARY KEY,
            card TEXT NOT NULL,
            borrowed_at TEXT NOT NULL,
            due TEXT NOT NULL,
            event_seq INTEGER NOT NULL
        );
        INSERT INTO loans_new SELECT barcode, card, borrowed_at, due, event_seq FROM loans;
        DROP TABLE loans;
        ALTER TABLE loans_new RENAME TO loans;
        CREATE INDEX loans_card ON loans (card);
        """
    )


@migrations()
def m004_sync_health(db: Database) -> None:
    """How the last sync went and what the server said the time was (see _sync_health.py)."""
    db.executescript(
        """
        CREATE TABLE sync_health (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_attempt_at TEXT NOT NULL,
            last_success_at TEXT,
            problem_kind TEXT,      -- why the last attempt failed, or a warning about a success
            problem TEXT,           -- the same, as a sentence for a person
            server_wall TEXT,       -- the server's time at its last answer ...
            server_mono REAL,       -- ... and this kiosk's monotonic time and boot then
            server_boot TEXT
        );
        """
    )


@migrations()
def m005_term_checkouts(db: Database) -> None:
    """Each reader's checkouts this term at every kiosk, as the server last counted them (a
    school with two doors shows a child the whole count), and one snapshot asked for: a kiosk
    that pulled before this has no counts yet."""
    db.executescript(
        """
        CREATE TABLE pulled_term_checkouts (
            card TEXT PRIMARY KEY,
            term_start TEXT NOT NULL,   -- the first day of the term the server counted for
            checkouts INTEGER NOT NULL  -- this kiosk's own up to sync_state.reflects_through
        );
        ALTER TABLE sync_state ADD COLUMN want_snapshot INTEGER NOT NULL DEFAULT 0;
        UPDATE sync_state SET want_snapshot = 1 WHERE pulled = 1;
        """
    )


@migrations()
def m006_journals(db: Database) -> None:
    """The file's journals (a new one each time the server turned out to hold other events under
    its numbers: restored from an older backup) and what sync found out about such forks and
    about a server that lost events (`kiosk doctor` says it; see _forks.py)."""
    db.executescript(
        """
        CREATE TABLE journals (
            number INTEGER PRIMARY KEY,
            from_seq INTEGER NOT NULL,            -- its first event
            began_at TEXT NOT NULL,
            replaced INTEGER NOT NULL DEFAULT 0   -- a later journal began at or before it
        );
        -- Journal 0 began with the file.
        INSERT INTO journals (number, from_seq, began_at)
            SELECT 0, 1, coalesce((SELECT created_at FROM kiosk WHERE id = 1), '');
        CREATE TABLE sync_notes (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,     -- journal_forked, server_lost, server_lost_retired
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            journal INTEGER
        );
        """
    )


@migrations()
def m007_scanner_status(db: Database) -> None:
    """The scanners' states for the heartbeat, named for what they are: a reader is a child."""
    db.execute("ALTER TABLE reader_status RENAME TO scanner_status")


@migrations()
def m008_renewals(db: Database) -> None:
    """How many times each loan was renewed (续借): here, at the server, and before retention."""
    db.executescript(
        """
        ALTER TABLE loans ADD COLUMN renewals INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE checkpoint_loans ADD COLUMN renewals INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE pulled_loans ADD COLUMN renewals INTEGER NOT NULL DEFAULT 0;
        """
    )


@migrations()
def m009_reservations(db: Database) -> None:
    """The server's waiting and ready reservations (预约), replaced whole by each pull that
    sends them; this kiosk's own news is laid over them (_reservationview.py)."""
    db.executescript(
        """
        CREATE TABLE pulled_reservations (
            id INTEGER PRIMARY KEY,
            card TEXT NOT NULL,
            isbn TEXT,
            barcode TEXT,
            ready_barcode TEXT,
            ready_until TEXT
        );
        """
    )
