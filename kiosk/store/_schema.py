"""The store's tables, one migration per change (applied in order, each in its own transaction)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kiosk")


@migrations()
def m001_initial(db: Database) -> None:
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
