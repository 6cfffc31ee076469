"""Alembic environment: one migration history for SQLite and PostgreSQL.

Logging is left alone on purpose: the application configures its own loggers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from storage import change_counter
from storage.migrate import run_on_migration_connection
from storage.models import Base, UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    # Revisions must not import the models (they change; history must not), and the column
    # type in the database is a plain timestamp.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite has almost no ALTER; batch operations "move and copy" there and fall back to
        # plain ALTER elsewhere.
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        change_counter.ensure(connection)


def run_migrations_offline() -> None:
    """Print the SQL for a DBA instead of running it (``--sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (shared := config.attributes.get("connection")) is not None:
    # storage.migrate hands its connection over, so an application inside an event loop can
    # migrate without a second loop.
    run_migrations(shared)
else:
    # Plain alembic.command calls (e.g. autogenerating a revision) bring only a URL.
    asyncio.run(
        run_on_migration_connection(config.get_main_option("sqlalchemy.url"), run_migrations)
    )
