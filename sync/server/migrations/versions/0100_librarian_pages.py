"""The librarian's pages: staff accounts, sign-in sessions and their guards, the registers,
the chosen new arrivals, and two indexes for reading events by time."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None

CODE = sa.String(80)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("class_name", sa.String(16)),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.Column("password_set_at", UtcTime, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account",
            sa.String(64),
            sa.ForeignKey("staff.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("form_key", sa.String(64), nullable=False),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.Column("expires_at", UtcTime, nullable=False),
    )
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "used_forms",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("used_at", UtcTime, nullable=False),
    )
    op.create_index("ix_used_forms_used_at", "used_forms", ["used_at"])
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", UtcTime, nullable=False),
        sa.Column("wait_until", UtcTime, nullable=False),
    )
    op.create_table(
        "copy_marks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("barcode", CODE, nullable=False),
        sa.Column("mark", sa.String(16), nullable=False),
        sa.Column("at", UtcTime, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("price", sa.String(16)),
        sa.Column("review_item", sa.BigInteger),
    )
    op.create_index("ix_copy_marks_barcode_id", "copy_marks", ["barcode", "id"])
    op.create_index("ix_copy_marks_mark_at", "copy_marks", ["mark", "at"])
    op.create_table(
        "new_arrivals",
        sa.Column("barcode", CODE, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("chosen_at", UtcTime, nullable=False),
        sa.Column("chosen_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_events_effective_time", "events", ["effective_time"])
    op.create_index(
        "ix_events_type_effective_time_card", "events", ["type", "effective_time", "card"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_type_effective_time_card", "events")
    op.drop_index("ix_events_effective_time", "events")
    for table in ("new_arrivals", "copy_marks", "signin_failures", "used_forms", "web_sessions",
                  "staff"):  # fmt: skip
        op.drop_table(table)
