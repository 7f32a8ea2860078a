"""Alembic environment. The app runs migrations on start through app.store.database.run_migrations, which hands
a live connection in `config.attributes["connection"]`; `alembic` on the command line builds its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text
from sqlmodel import SQLModel

import app.store.tables  # noqa: F401  (registers the tables on the metadata, for autogenerate)

config = context.config
target_metadata = SQLModel.metadata

# Two app processes starting at once against PostgreSQL must not both create the schema.
_MIGRATION_LOCK_KEY = 0x5052_0001


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg"))
    with engine.begin() as sync_connection:
        _run(sync_connection)
