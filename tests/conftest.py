"""Database fixtures shared by every room's tests.

A test that asks for ``session_factory`` (or ``engine``) runs twice: on a SQLite file and, when
``TEST_POSTGRES_URL`` names a server, on a fresh PostgreSQL database of its own, both migrated
by the real Alembic history.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from storage import migrate
from storage.db import create_engine, make_sessionmaker

POSTGRES_URL_VARIABLE = "TEST_POSTGRES_URL"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cdht.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    """An empty database, not yet migrated."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
        )
    async with scratch_postgres_database(server_url) as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate.upgrade_async(db_url)
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@asynccontextmanager
async def scratch_postgres_database(server_url: str) -> AsyncIterator[str]:
    """A database created for one test and dropped after it.

    A database rather than a schema per test: the URL alone then isolates the test (no
    search_path to pass around), and test runs sharing the server cannot see each other.
    """
    name = f"cdht_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()
