"""Reservations (预约): a reader waiting for a title or a copy, and the copy held for them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0400"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("card", sa.String(80), nullable=False),
        sa.Column("isbn", sa.String(13)),
        sa.Column("barcode", sa.String(80)),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("ready_barcode", sa.String(80)),
        sa.Column("ready_until", sa.String(10)),
        sa.Column("ready_event", sa.String(36)),
        sa.Column("placed_at", UtcTime, nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("closed_at", UtcTime),
        sa.Column("closed_by", sa.String(64)),
    )
    op.create_index("ix_reservations_card", "reservations", ["card"])
    op.create_index("ix_reservations_state_isbn", "reservations", ["state", "isbn"])


def downgrade() -> None:
    op.drop_index("ix_reservations_state_isbn", "reservations")
    op.drop_index("ix_reservations_card", "reservations")
    op.drop_table("reservations")
