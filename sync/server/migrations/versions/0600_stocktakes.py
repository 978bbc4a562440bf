"""Stocktakes (清点): one open at a time, the codes scanned for it (once each), and the report
kept when it closes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0600"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stocktakes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("classes", sa.String(32)),
        sa.Column("open_slot", sa.Integer),
        sa.Column("started_at", UtcTime, nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("closed_at", UtcTime),
        sa.Column("closed_by", sa.String(64)),
        sa.UniqueConstraint("open_slot", name="uq_stocktakes_open_slot"),
    )
    op.create_table(
        "stocktake_scans",
        sa.Column("stocktake", sa.BigInteger, primary_key=True),
        sa.Column("code", sa.String(80), primary_key=True),
        sa.Column("known", sa.Boolean, nullable=False),
        sa.Column("at", UtcTime, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
    )
    op.create_table(
        "stocktake_findings",
        sa.Column("stocktake", sa.BigInteger, primary_key=True),
        sa.Column("barcode", sa.String(80), primary_key=True),
        sa.Column("finding", sa.String(20), nullable=False),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stocktake_findings")
    op.drop_table("stocktake_scans")
    op.drop_table("stocktakes")
