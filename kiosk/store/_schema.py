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
