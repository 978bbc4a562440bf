"""A teacher's account may name her library card, so she can place and cancel her own
reservations (预约) on the pages."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0400"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("card", sa.String(80)))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("card")
