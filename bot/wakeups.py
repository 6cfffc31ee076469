"""Wake-ups between processes on PostgreSQL: a process that stores an update NOTIFYs (in the
storing transaction, so at its commit: storage/repositories/inbox.py), and every process
with an inbox processor LISTENs on a connection of its own and wakes it at once.

Without it a worker in another process than the web server's found new updates only at its
next look, every 0.2 s when idle. The look stays, as the safety net for a notification
missed while the listening connection was down. SQLite has no notifications: its processes
share one machine, and wake each other within a process (InboxWriter -> InboxProcessor) or
at the next look.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import URL

log = logging.getLogger(__name__)
RECONNECT_PAUSE = 5.0  # seconds between attempts while the database is away


def listens(url: URL) -> bool:
    """Whether the database at ``url`` can wake this process (PostgreSQL can)."""
    return url.get_backend_name() == "postgresql"


class Listener:
    """Calls ``topics[name]()`` whenever a notification on channel ``name`` arrives."""

    def __init__(self, url: URL, topics: Mapping[str, Callable[[], None]]) -> None:
        # asyncpg itself, not SQLAlchemy's pool: the connection is held for as long as the
        # process runs and must not count against the pool.
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.topics = dict(topics)

    def _heard(self, _connection: Any, _pid: int, channel: str, _payload: str) -> None:
        self.topics[channel]()

    async def run(self, stop: asyncio.Event) -> None:
        import asyncpg

        while not stop.is_set():
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cannot listen for wake-ups (%s); retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RECONNECT_PAUSE)
                continue
            try:
                await self._listen(connection, stop)
            finally:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=5)

    async def _listen(self, connection: Any, stop: asyncio.Event) -> None:
        """Until stop, or until the connection is lost."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        for channel in self.topics:
            await connection.add_listener(channel, self._heard)
        for wake in self.topics.values():  # what came while not listening: one look now
            wake()
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
