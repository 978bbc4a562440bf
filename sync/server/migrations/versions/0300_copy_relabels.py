"""ISBN-only copies given a barcode of their own: which ``<ISBN>#n`` each barcode replaced."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0300"
down_revision = "0200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "copy_relabels",
        sa.Column("isbn_copy", sa.String(80), primary_key=True),
        sa.Column("barcode", sa.String(80), nullable=False, unique=True),
        sa.Column("relabelled_at", UtcTime, nullable=False),
        sa.Column("relabelled_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("copy_relabels")
