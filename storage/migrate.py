"""Alembic, driven from code: no alembic.ini, the database URL is an argument.

``upgrade`` and ``current`` are for synchronous callers such as the CLI; the ``*_async``
variants are for code already running in an event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from storage.db import create_engine

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The option goes through configparser interpolation, where "%" is special.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    _run_to_completion(upgrade_async(url, revision))


def current(url: str) -> str | None:
    return _run_to_completion(current_async(url))


async def upgrade_async(url: str, revision: str = "head") -> None:
    config = make_config(url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    await run_on_migration_connection(url, run)


async def current_async(url: str) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return await run_on_migration_connection(url, read)


async def run_on_migration_connection(url: str, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` in one transaction on a connection fit for schema changes, then commit."""
    engine = create_engine(url, poolclass=NullPool)
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite:
        # Batch migrations copy a table and drop the old one; with enforcement on, that drop
        # would cascade-delete every referencing row. Registered after create_engine's own
        # listener, so it runs later and wins.
        event.listen(engine.sync_engine, "connect", _disable_foreign_keys)
    try:
        async with engine.begin() as connection:
            result = await connection.run_sync(fn)
            if sqlite:
                await connection.run_sync(_check_foreign_keys)
            return result
    finally:
        await engine.dispose()


def _disable_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left rows pointing nowhere."""
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if violations:
        raise RuntimeError(f"migration broke foreign keys: {violations[:10]}")


def _run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # asyncio.run refuses to nest, so a caller inside a loop gets a private loop in a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
