"""A kiosk's journals: a kiosk restored from an older backup goes on as a new journal, and the
server keeps both histories (sync.protocol.JournalStart); and the events a kiosk says are gone
for good (deleted after retention, then lost on a restored server)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.tables import UtcTime

revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot change a constraint in place: batch mode copies the table.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("journal", sa.Integer, nullable=False, server_default="0"))
        batch.drop_constraint("uq_events_kiosk_seq", type_="unique")
        batch.create_unique_constraint("uq_events_kiosk_journal_seq", ["kiosk", "journal", "seq"])
        # Ingest's reads by sequence, by timing and by boot (see tables.py).
        batch.drop_index("ix_events_kiosk_boot_id_clock_synced")
        batch.create_index("ix_events_kiosk_seq", ["kiosk", "seq"])
        batch.create_index("ix_events_kiosk_timing_seq", ["kiosk", "timing", "seq"])
        batch.create_index(
            "ix_events_kiosk_boot_id_timing_seq", ["kiosk", "boot_id", "timing", "seq"]
        )
    op.create_table(
        "kiosk_journals",
        sa.Column("kiosk", sa.String(64), sa.ForeignKey("kiosks.name"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("from_seq", sa.BigInteger, nullable=False),
        sa.Column("declared_at", UtcTime, nullable=False),
    )
    op.create_table(
        "kiosk_lost",
        sa.Column("kiosk", sa.String(64), sa.ForeignKey("kiosks.name"), primary_key=True),
        sa.Column("first", sa.BigInteger, primary_key=True),
        sa.Column("last", sa.BigInteger, nullable=False),
        sa.Column("declared_at", UtcTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kiosk_lost")
    op.drop_table("kiosk_journals")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_kiosk_boot_id_timing_seq")
        batch.drop_index("ix_events_kiosk_timing_seq")
        batch.drop_index("ix_events_kiosk_seq")
        batch.create_index(
            "ix_events_kiosk_boot_id_clock_synced", ["kiosk", "boot_id", "clock_synced"]
        )
        batch.drop_constraint("uq_events_kiosk_journal_seq", type_="unique")
        batch.create_unique_constraint("uq_events_kiosk_seq", ["kiosk", "seq"])
        batch.drop_column("journal")
