"""The async engine and session factory, tuned per backend.

SQLite is the embedded default, PostgreSQL the scale-out store; both are chosen by URL alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from storage.models import use_postgresql_partial_indexes

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/cdht.db"

# Waiting writers queue on SQLite's busy handler this long before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000
# SQLite's page cache per connection, in KiB (its default is 2,000): the file's pages stay in
# the operating system's cache anyway, and a process has 100 MB in all.
SQLITE_CACHE_KIB = 256

# An execution option (``sessions(execution_options={DURABLE: True})``): this transaction's
# commit must survive an OS crash or a power loss, not only the process's, because someone
# is told it is stored (a webhook's 200, a polling offset). On SQLite, whose WAL otherwise
# runs with synchronous=NORMAL (a commit reaches the disk at the next checkpoint), its
# commit syncs the log, and with it every commit before. PostgreSQL syncs every commit.
DURABLE = "durable"


def create_engine(url: str, **kw: Any) -> AsyncEngine:
    """An engine for ``url``; keyword arguments go to SQLAlchemy's ``create_async_engine``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kw)
    use_postgresql_partial_indexes()  # its DDL and migrations' comparisons see them
    # No ping before each use of a pooled connection: it was one more round trip for every
    # transaction. A connection cut by a server restart fails its transaction once and is
    # replaced (SQLAlchemy invalidates the pool on a disconnect), and every caller already
    # goes again on a failed transaction: the inbox processor and the delivery worker retry,
    # a refused webhook is redelivered by the platform.
    return _create_async_engine(parsed, **kw)


def create_reader(url: str) -> AsyncEngine:
    """An engine for long reads such as reports: each transaction sees one consistent
    snapshot, writes nothing, and never holds up the bot's writers meanwhile."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, reader=True, poolclass=NullPool)
    use_postgresql_partial_indexes()
    return _create_async_engine(parsed, poolclass=NullPool).execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: under asyncio a refresh would be an implicit load.
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, *, reader: bool = False, **kw: Any) -> AsyncEngine:
    file_path = _sqlite_file(url)
    if file_path is not None:
        file_path.parent.mkdir(parents=True, exist_ok=True)
    # SQLite admits one writer, and every transaction here writes: queue them in this process
    # on one connection, rather than in SQLite's busy handler, which sleeps in steps of up
    # to 100 ms while the lock may already be free.
    if file_path is not None and "poolclass" not in kw:
        kw.setdefault("pool_size", 1)
        kw.setdefault("max_overflow", 0)
    engine = _create_async_engine(url, **kw)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # sqlite3's legacy mode would BEGIN only before DML, and only DEFERRED; we BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if file_path is not None:
            # Readers and the single writer stop blocking each other; stored in the file.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free space in the file: an
        # erased person must not be readable from the database file (the right to erasure).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        if reader:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not reader:
            # Set before BEGIN: SQLite ignores a change of it inside a transaction. Kept per
            # connection, so that only a switch costs a statement.
            durable = bool(connection.get_execution_options().get(DURABLE))
            info = connection.connection.info
            if info.get(DURABLE, False) != durable:
                level = "FULL" if durable else "NORMAL"
                connection.exec_driver_sql(f"PRAGMA synchronous={level}")
                info[DURABLE] = durable
        # A DEFERRED transaction that reads, then writes, must upgrade its lock, and SQLite
        # answers SQLITE_BUSY at once if another writer holds it, ignoring busy_timeout.
        # Taking the write lock up front makes writers queue instead. A reader's deferred
        # transaction reads one snapshot of the WAL while writers go on.
        connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    return engine


async def truncate_wal(engine: AsyncEngine) -> bool:
    """SQLite: copy the write-ahead log into the database file and empty it, so the old
    copies of pages it holds (an erased person's rows, as they were) are gone. Outside any
    transaction, on a connection of the engine's own. False when a reader kept it from
    finishing (the next erasure or SQLite's own checkpoints try again); True elsewhere."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = await cursor.fetchone()
        await cursor.close()
    return busy == 0


def _sqlite_file(url: URL) -> Path | None:
    """The database file, or None for an in-memory or URI-addressed database."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri"):
        return None
    return Path(database)
