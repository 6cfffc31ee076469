"""What storage.db promises for SQLite beyond what SQLAlchemy does by default."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import InboxWriter
from storage import migrate
from storage.db import DURABLE, create_engine, create_reader, make_sessionmaker
from storage.repositories.inbox import NewUpdate


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


def database_file(engine: AsyncEngine) -> str:
    path = engine.url.database
    assert path is not None
    return path


def test_creates_the_missing_directory_of_a_file_database(tmp_path: Path) -> None:
    create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'cdht.db'}")

    assert (tmp_path / "data").is_dir()


async def test_connections_get_the_pragmas(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as connection:
        pragmas = {
            name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }

    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 5000,
    }


async def test_a_transaction_holds_the_write_lock_from_its_first_read(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(database_file(sqlite_engine), timeout=0, isolation_level=None)

    async with sqlite_engine.begin() as connection:
        await connection.exec_driver_sql("SELECT n FROM t")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")

    other.execute("BEGIN IMMEDIATE")  # released at commit
    other.execute("ROLLBACK")
    other.close()


async def test_concurrent_read_modify_write_transactions_queue_instead_of_failing(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        await connection.exec_driver_sql("INSERT INTO counter VALUES (0)")

    async def increment() -> None:
        async with sqlite_engine.begin() as connection:
            n = (await connection.exec_driver_sql("SELECT n FROM counter")).scalar_one()
            await asyncio.sleep(0.02)  # let the other transactions reach their read
            await connection.exec_driver_sql("UPDATE counter SET n = ?", (n + 1,))

    # With DEFERRED transactions all would read 0: lost updates, or "database is locked" on
    # the lock upgrade.
    await asyncio.gather(*(increment() for _ in range(5)))

    async with sqlite_engine.connect() as connection:
        assert (await connection.exec_driver_sql("SELECT n FROM counter")).scalar_one() == 5


async def test_a_readers_transaction_keeps_its_snapshot_and_lets_writers_commit(
    sqlite_engine: AsyncEngine, sqlite_url: str
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    reader = create_reader(sqlite_url)
    try:
        async with reader.begin() as reading:
            before = (await reading.exec_driver_sql("SELECT count(*) FROM t")).scalar_one()
            async with sqlite_engine.begin() as writing:  # not blocked by the open read
                await writing.exec_driver_sql("INSERT INTO t VALUES (2)")
            during = (await reading.exec_driver_sql("SELECT count(*) FROM t")).scalar_one()
            with pytest.raises(OperationalError, match="readonly"):
                await reading.exec_driver_sql("INSERT INTO t VALUES (3)")
        async with reader.connect() as after:
            assert (await after.exec_driver_sql("SELECT count(*) FROM t")).scalar_one() == 2
    finally:
        await reader.dispose()

    assert (before, during) == (1, 1)


async def test_a_durable_transaction_syncs_its_commit_and_the_next_plain_one_does_not(
    sqlite_engine: AsyncEngine,
) -> None:
    """SQLite applies a change of synchronous only outside a transaction: each transaction
    must find the level it asked for already set when it begins."""
    sessions = make_sessionmaker(sqlite_engine)

    async def level(**options: bool) -> int:
        async with sessions(execution_options=options) as session, session.begin():
            return (await session.execute(text("PRAGMA synchronous"))).scalar_one()

    full, normal = 2, 1
    assert [
        await level(),
        await level(**{DURABLE: True}),
        await level(**{DURABLE: True}),
        await level(),
    ] == [normal, full, full, normal]


async def test_the_inbox_writer_commits_durably(sqlite_engine: AsyncEngine) -> None:
    """What a webhook acknowledged survives a power loss: the writer's INSERT runs in a
    transaction whose commit syncs the log."""
    await migrate.upgrade_async(str(sqlite_engine.url))
    levels: list[int] = []

    @event.listens_for(sqlite_engine.sync_engine, "before_cursor_execute")
    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO inbox"):
            probe = conn.connection.cursor()
            probe.execute("PRAGMA synchronous")
            levels.append(probe.fetchone()[0])
            probe.close()

    writer = InboxWriter(make_sessionmaker(sqlite_engine))
    await asyncio.gather(
        *(writer.store(NewUpdate("telegram", str(n), "1", n, {"n": n})) for n in range(3))
    )
    assert levels and set(levels) == {2}
