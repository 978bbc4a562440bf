"""The first schema: kiosks, their journals, reference data, loans, the review inbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KIOSK = sa.String(64)
CODE = sa.String(80)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(counters, [{"name": "revision", "value": 0}])
    op.create_table(
        "kiosks",
        sa.Column("name", KIOSK, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.Column("revoked_at", UtcTime),
        sa.Column("acked_through", sa.BigInteger, nullable=False),
        sa.Column("last_seen_at", UtcTime),
        sa.Column("last_heartbeat", sa.Text),
        sa.Column("last_heartbeat_at", UtcTime),
    )
    op.create_table(
        "events",
        sa.Column("number", _serial(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("kiosk", KIOSK, sa.ForeignKey("kiosks.name"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("format", sa.Integer, nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("card", CODE),
        sa.Column("barcode", CODE),
        sa.Column("code", sa.String(256)),
        sa.Column("due", sa.String(10)),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("wall_time", sa.String(40), nullable=False),
        sa.Column("clock_time", sa.String(40), nullable=False),
        sa.Column("mono_time", sa.Float, nullable=False),
        sa.Column("boot_id", sa.String(64), nullable=False),
        sa.Column("clock_synced", sa.Boolean, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("clock_source", sa.String(10)),
        sa.Column("received_at", UtcTime, nullable=False),
        sa.Column("effective_time", UtcTime, nullable=False),
        sa.Column("timing", sa.String(12), nullable=False),
        sa.UniqueConstraint("kiosk", "seq"),
    )
    op.create_index("ix_events_barcode_effective_time", "events", ["barcode", "effective_time"])
    op.create_index("ix_events_card_type", "events", ["card", "type"])
    op.create_index(
        "ix_events_kiosk_boot_id_clock_synced", "events", ["kiosk", "boot_id", "clock_synced"]
    )
    op.create_table(
        "readers",
        sa.Column("card", CODE, primary_key=True),
        sa.Column("given_name", sa.String(40), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("class_name", sa.String(16)),
        sa.Column("grade", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False, index=True),
        sa.Column("updated_at", UtcTime, nullable=False),
    )
    op.create_table(
        "copies",
        sa.Column("barcode", CODE, primary_key=True),
        sa.Column("isbn", sa.String(13), index=True),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("author", sa.String(400), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("loan_type", sa.String(10), nullable=False),
        sa.Column("price", sa.String(16)),
        sa.Column("isbn_only", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False, index=True),
        sa.Column("added_at", UtcTime, nullable=False),
        sa.Column("updated_at", UtcTime, nullable=False),
    )
    op.create_table(
        "policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("imported_at", UtcTime, nullable=False),
    )
    op.create_table(
        "loans",
        sa.Column("barcode", CODE, primary_key=True),
        sa.Column("on_loan", sa.Boolean, nullable=False),
        sa.Column("card", CODE),
        sa.Column("borrowed_at", UtcTime),
        sa.Column("due", sa.String(10)),
        sa.Column("kiosk", KIOSK),
        sa.Column("checkout_event", sa.String(36)),
        sa.Column("last_event", sa.String(36), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False, index=True),
    )
    op.create_table(
        "review_items",
        sa.Column("id", _serial(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kiosk", KIOSK),
        sa.Column("seq", sa.BigInteger),
        sa.Column("event_id", sa.String(36)),
        sa.Column("barcode", CODE),
        sa.Column("card", CODE),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.Column("resolved_at", UtcTime),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("resolution", sa.String(32)),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("kind", "key"),
    )
    op.create_index("ix_review_items_resolved_at_kind", "review_items", ["resolved_at", "kind"])
    op.create_table(
        "rate_windows",
        sa.Column("kiosk", KIOSK, primary_key=True),
        sa.Column("window", sa.BigInteger, primary_key=True),
        sa.Column("requests", sa.Integer, nullable=False),
    )
