"""Alembic's entry point: migrations run on the engine the server was given (sync.server.db)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from sync.server.tables import metadata

# Any number: two `kiosk-server migrate` at once on one PostgreSQL take turns on this lock.
MIGRATION_LOCK = 80_080_808

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        context.run_migrations()
