"""Database fixtures shared by every room's tests.

A test that asks for ``db_url``, ``engine`` or ``session_factory`` runs twice: on a SQLite
file and, when ``TEST_POSTGRES_URL`` names a server, on a PostgreSQL database of its own.
Each gets a fresh copy of a database migrated once per run by the real Alembic history (a
file copy; ``CREATE DATABASE ... TEMPLATE``): migrating for every test cost more than the
tests. ``empty_db_url`` is an unmigrated one, for the migration tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from storage import migrate
from storage.db import create_engine, make_sessionmaker

POSTGRES_URL_VARIABLE = "TEST_POSTGRES_URL"


def _postgres_server() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not _postgres_server():
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
        )
    return request.param


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cdht.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "cdht.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a migrated database that each test's database is copied from."""
    server_url = _postgres_server()
    assert server_url is not None
    name = f"cdht_template_{uuid.uuid4().hex[:12]}"
    _in_a_thread(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(_database(server_url, name))
        yield name
    finally:
        _in_a_thread(_admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def empty_db_url(backend: str, sqlite_url: str) -> AsyncIterator[str]:
    """A database of the backend with nothing in it, not even the schema."""
    if backend == "sqlite":
        yield sqlite_url
        return
    async with scratch_postgres_database(_postgres_server() or "") as url:
        yield url


@pytest.fixture
async def db_url(
    backend: str, sqlite_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A migrated database of the backend, the test's own."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, make_url(sqlite_url).database or "")
        yield sqlite_url
        return
    template_name: str = request.getfixturevalue("postgres_template")
    async with scratch_postgres_database(_postgres_server() or "", template_name) as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


def _in_a_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Session fixtures are first asked for from inside a test's running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def _admin(server_url: str, statement: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await admin.dispose()


@asynccontextmanager
async def scratch_postgres_database(
    server_url: str, template: str | None = None
) -> AsyncIterator[str]:
    """A database created for one test (empty, or a copy of ``template``) and dropped after.

    A database rather than a schema per test: the URL alone then isolates the test (no
    search_path to pass around), and test runs sharing the server cannot see each other.
    """
    name = f"cdht_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    await _admin(server_url, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _database(server_url, name)
    finally:
        await _admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


# Tests that kill and restart real bot processes and time how soon everyone is answered:
# run one after another on one xdist worker (`make test` runs the suite on every core), so
# they never compete with each other for the processor.
REAL_PROCESSES = {"test_telegram_crash.py", "test_broadcast_crash.py", "test_heartbeat.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in REAL_PROCESSES:
            item.add_marker(pytest.mark.xdist_group("real_processes"))
