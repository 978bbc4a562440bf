"""The server's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Alembic migrations in ``sync/server/migrations`` create exactly these; a test compares the two.
Every change kiosks pull (readers, copies, policy, loans) carries a ``revision`` from one
counter, unique per row version, handed out under a row lock so revisions commit in order
(see :mod:`sync.server.revisions`). Nothing here lives in a server process's memory: several
processes on one PostgreSQL see the same state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcTime(TypeDecorator[datetime]):
    """An aware moment, stored as UTC ISO text with microseconds on every database.

    Text sorts as time does and reads back identically on SQLite (which has no time type) and
    PostgreSQL, so the same query means the same thing on both.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times stored by the server must be aware")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))


KIOSK = String(64)
CODE = String(80)

# One row per named counter; ``revision`` orders every change kiosks pull.
counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("name", KIOSK, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("created_at", UtcTime, nullable=False),
    Column("revoked_at", UtcTime),
    # Every event of this kiosk up to ``acked_through`` is here (the contiguous prefix).
    Column("acked_through", BigInteger, nullable=False, default=0),
    Column("last_seen_at", UtcTime),
    Column("last_heartbeat", Text),  # the last heartbeat as received (JSON)
    Column("last_heartbeat_at", UtcTime),
)

# The journal of every kiosk, event for event as the kiosk recorded it (text kept as sent, so
# an export is the kiosk's journal and each hash can be checked again).
events = Table(
    "events",
    metadata,
    Column(
        "number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", String(36), nullable=False, unique=True),
    Column("kiosk", KIOSK, ForeignKey("kiosks.name"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("format", Integer, nullable=False),
    Column("type", String(20), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("session_id", String(64)),
    Column("card", CODE),
    Column("barcode", CODE),
    Column("code", String(256)),
    Column("due", String(10)),
    Column("flags", String(200), nullable=False),  # comma-separated, as in the kiosk
    Column("wall_time", String(40), nullable=False),
    Column("clock_time", String(40), nullable=False),
    Column("mono_time", Float, nullable=False),
    Column("boot_id", String(64), nullable=False),
    Column("clock_synced", Boolean, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("clock_source", String(10)),  # journal format 2 on: "system" or "operator"
    Column("received_at", UtcTime, nullable=False),
    # When the server believes it happened: the kiosk's time if its clock was synchronised,
    # else re-timed (see sync.server.retiming); ``timing`` says which.
    Column("effective_time", UtcTime, nullable=False),
    Column("timing", String(12), nullable=False),
    # Which of the kiosk's journals (sync.protocol.JournalStart): 0 unless it found its history
    # forked (restored from an older backup); then both histories are kept, each under its own.
    Column("journal", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("kiosk", "journal", "seq"),
    Index(None, "barcode", "effective_time"),
    Index(None, "card", "type"),
    # Ingest reads a kiosk's events by sequence (its neighbours, whatever their journal), its
    # untrusted ones by timing, and a boot's anchor and held events: none of these grows with
    # the kiosk's history (sync.server.ingest, sync.server.retiming).
    Index(None, "kiosk", "seq"),
    Index(None, "kiosk", "timing", "seq"),
    Index(None, "kiosk", "boot_id", "timing", "seq"),
)

# Where each of a kiosk's journals begins, as the kiosk last declared them (journal 0 from 1 is
# implied). ``acked_through`` and gaps follow them: events 1.. of journal 0, then each journal's.
kiosk_journals = Table(
    "kiosk_journals",
    metadata,
    Column("kiosk", KIOSK, ForeignKey("kiosks.name"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("from_seq", BigInteger, nullable=False),
    Column("declared_at", UtcTime, nullable=False),
)

# Events a kiosk says are gone for good: it deleted them after its retention period and the
# server lost them (restored from an older backup). They count as received (``acked_through``
# goes past them) and are in the review inbox (``events_lost``).
kiosk_lost = Table(
    "kiosk_lost",
    metadata,
    Column("kiosk", KIOSK, ForeignKey("kiosks.name"), primary_key=True),
    Column("first", BigInteger, primary_key=True),
    Column("last", BigInteger, nullable=False),
    Column("declared_at", UtcTime, nullable=False),
)

readers = Table(
    "readers",
    metadata,
    Column("card", CODE, primary_key=True),
    Column("given_name", String(40), nullable=False),
    Column("role", String(10), nullable=False),
    Column("class_name", String(16)),
    Column("grade", Integer),
    Column("active", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),  # a tombstone kiosks pull
    Column("revision", BigInteger, nullable=False, index=True),
    Column("updated_at", UtcTime, nullable=False),
)

copies = Table(
    "copies",
    metadata,
    Column("barcode", CODE, primary_key=True),
    Column("isbn", String(13), index=True),
    Column("title", String(400), nullable=False),
    Column("author", String(400), nullable=False),
    Column("category", String(64), nullable=False),
    Column("loan_type", String(10), nullable=False),
    Column("price", String(16)),
    Column("isbn_only", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("revision", BigInteger, nullable=False, index=True),
    Column("added_at", UtcTime, nullable=False),  # first imported: the new-arrivals list
    Column("updated_at", UtcTime, nullable=False),
)

policy = Table(
    "policy",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("source", Text, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("imported_at", UtcTime, nullable=False),
)

# The authoritative state of every copy that was ever lent, folded from all kiosks' events.
loans = Table(
    "loans",
    metadata,
    Column("barcode", CODE, primary_key=True),
    Column("on_loan", Boolean, nullable=False),
    Column("card", CODE),
    Column("borrowed_at", UtcTime),
    Column("due", String(10)),
    Column("kiosk", KIOSK),  # where it was lent
    Column("checkout_event", String(36)),
    Column("last_event", String(36), nullable=False),  # the last checkout or return folded
    Column("revision", BigInteger, nullable=False, index=True),
)

# What the librarian must look at: conflicts between kiosks, broken chains, gaps.
review_items = Table(
    "review_items",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(32), nullable=False),
    Column("key", String(200), nullable=False),  # what makes two reports the same item
    Column("kiosk", KIOSK),
    Column("seq", BigInteger),
    Column("event_id", String(36)),
    Column("barcode", CODE),
    Column("card", CODE),
    Column("detail", Text, nullable=False),  # JSON: what the librarian needs to decide
    Column("created_at", UtcTime, nullable=False),
    Column("resolved_at", UtcTime),
    Column("resolved_by", String(64)),  # a librarian, or "server" when later events cleared it
    Column("resolution", String(32)),
    Column("note", Text),
    UniqueConstraint("kind", "key"),
    Index(None, "resolved_at", "kind"),
)

# Requests per kiosk per window, in the database so that every server process counts the same.
rate_windows = Table(
    "rate_windows",
    metadata,
    Column("kiosk", KIOSK, primary_key=True),
    Column("window", BigInteger, primary_key=True),
    Column("requests", Integer, nullable=False),
)


# --- The librarian's pages (issue 9; migration 0100_librarian_pages) ---------------------------
# Staff accounts, their sign-in sessions and the state that guards them live here, not in a
# server process's memory, so that several processes on one PostgreSQL agree.

staff = Table(
    "staff",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # "librarian" or "teacher"
    Column("class_name", String(16)),  # a teacher's one class, e.g. "3-1"
    Column("card", CODE),  # a teacher's own library card: her reservations on the pages
    Column("password_hash", String(200), nullable=False),  # Argon2id, argon2-cffi's encoding
    Column("created_at", UtcTime, nullable=False),
    Column("password_set_at", UtcTime, nullable=False),
)

# A signed-in browser: the cookie holds a random token, the table only its SHA-256.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account", String(64), ForeignKey("staff.name", ondelete="CASCADE"), nullable=False),
    Column("form_key", String(64), nullable=False),  # signs this session's form tokens (CSRF)
    Column("created_at", UtcTime, nullable=False),
    Column("expires_at", UtcTime, nullable=False, index=True),
)

# Form tokens already used: a form posted twice does its work once.
used_forms = Table(
    "used_forms",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("used_at", UtcTime, nullable=False, index=True),
)

# Failed sign-ins per account ("account:NAME") and per address ("address:IP").
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcTime, nullable=False),
    Column("wait_until", UtcTime, nullable=False),
)

# The registers (修补 repairs, 注销 withdrawals, lost books): every mark the librarian put on a
# copy, newest last; a copy's state is its latest mark. The list price is copied in for the
# school's own records and never sent to a kiosk.
copy_marks = Table(
    "copy_marks",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("barcode", CODE, nullable=False),
    Column("mark", String(16), nullable=False),
    Column("at", UtcTime, nullable=False),
    Column("by", String(64), nullable=False),
    Column("note", Text),
    Column("price", String(16)),
    Column("review_item", BigInteger),  # the damage report it resolved, if any
    Index(None, "barcode", "id"),
    Index(None, "mark", "at"),
)

# The new arrivals the librarian chose for the kiosks' idle screen, in her order.
new_arrivals = Table(
    "new_arrivals",
    metadata,
    Column("barcode", CODE, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("chosen_at", UtcTime, nullable=False),
    Column("chosen_by", String(64), nullable=False),
)

# ISBN-only copies given a barcode of their own (an accession label printed from the pages): the
# copy is the row ``barcode`` of ``copies`` from then on, and its ``<ISBN>#n`` row a tombstone.
# A catalogue file that still lists it by its ISBN alone names it ``isbn_copy``: the import maps
# it here (sync.server.relabels), so the file neither brings the old copy back nor retires the new.
copy_relabels = Table(
    "copy_relabels",
    metadata,
    Column("isbn_copy", CODE, primary_key=True),
    Column("barcode", CODE, nullable=False, unique=True),
    Column("relabelled_at", UtcTime, nullable=False),
    Column("relabelled_by", String(64), nullable=False),
)

# The pages read events by time: today's per kiosk, the term's checkouts per reader.
Index("ix_events_effective_time", events.c.effective_time)
Index("ix_events_type_effective_time_card", events.c.type, events.c.effective_time, events.c.card)

# Reservations (预约) the librarian places for a reader, on a title (``isbn``: any copy of it) or
# on one copy (``barcode``). ``state`` is waiting, ready (``ready_barcode`` is on the
# reservations shelf for the reader until ``ready_until``), collected, cancelled or expired; the
# kiosks pull the waiting and ready ones, and their events (a reserved copy returned, collected,
# left too long) move them on (sync.server.reservations).
reservations = Table(
    "reservations",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("card", CODE, nullable=False, index=True),
    Column("isbn", String(13)),
    Column("barcode", CODE),
    Column("state", String(10), nullable=False),
    Column("ready_barcode", CODE),
    Column("ready_until", String(10)),
    Column("ready_event", String(36)),
    Column("placed_at", UtcTime, nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("closed_at", UtcTime),
    Column("closed_by", String(64)),
    Index(None, "state", "isbn"),
)

# Stocktakes (清点, sync.server.stocktake): at most one open (``open_slot`` is 1 while open and
# unique, NULL once closed); every code scanned for it, once whoever sent it (``known``: a copy's
# barcode, else a code the catalogue does not know); and at close the report, kept as it was.
stocktakes = Table(
    "stocktakes",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("classes", String(32)),  # the 中图法 class letters counted, NULL for the whole library
    Column("open_slot", Integer, unique=True),
    Column("started_at", UtcTime, nullable=False),
    Column("started_by", String(64), nullable=False),
    Column("closed_at", UtcTime),
    Column("closed_by", String(64)),
)
stocktake_scans = Table(
    "stocktake_scans",
    metadata,
    Column("stocktake", BigInteger, primary_key=True),
    Column("code", CODE, primary_key=True),
    Column("known", Boolean, nullable=False),
    Column("at", UtcTime, nullable=False),
    Column("by", String(64), nullable=False),
)
stocktake_findings = Table(
    "stocktake_findings",
    metadata,
    Column("stocktake", BigInteger, primary_key=True),
    Column("barcode", CODE, primary_key=True),
    Column("finding", String(20), nullable=False),
    Column("title", String(400), nullable=False),
    Column("category", String(64), nullable=False),
    Column("state", String(16), nullable=False),
)
