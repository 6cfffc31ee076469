"""This process's identity among the bot's workers, and its heartbeat.

Every process that claims work joins before its first claim, beats every ``interval`` and,
on each beat, buries the workers that died: they missed ``stale`` of beats while this one
could beat, or their pid is gone from this host. What they held (messages being sent, a long
job's run) is due again at once. So a process restarted after a crash releases its own former
claims as it starts, and a process that dies for good is found by the others within about
``stale`` and a beat.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import utcnow
from storage.repositories import workers

log = logging.getLogger(__name__)


def running(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts: its parent has
    not reaped it yet, and its heartbeat will tell)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Heartbeat:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        interval: float = 2.0,
        stale: timedelta = timedelta(seconds=8),
        clock: Callable[[], datetime] = utcnow,
        host: str | None = None,
        pid: int | None = None,
        alive: Callable[[int], bool] = running,
        on_released: Callable[[], None] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.me = workers.Me(uuid.uuid4().hex, host or socket.gethostname(), pid or os.getpid())
        self.interval = interval
        self.stale = stale
        self.clock = clock
        self.alive = alive
        self.on_released = on_released
        self._beaten_at: datetime | None = None  # this worker's last committed beat

    @property
    def id(self) -> str:
        return self.me.id

    async def join(self) -> None:
        """Register, and release what workers found dead held (a former self's claims)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await workers.register(session, self.me, now)
            released = await self._bury_the_dead(session, now, wrote_at=now)
        self._beaten(now, released)

    async def beat(self) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if not await workers.beat(session, self.me.id, now):
                # Taken for dead (the process stalled longer than ``stale``): what it held
                # may be sent twice, as after a lapsed lease.
                log.warning("worker %s was taken for dead; joining again", self.me.id)
                await workers.register(session, self.me, now)
            released = await self._bury_the_dead(session, now, wrote_at=self._beaten_at or now)
        self._beaten(now, released)

    async def _bury_the_dead(self, session: AsyncSession, now: datetime, wrote_at: datetime) -> int:
        return await workers.release_dead(
            session, self.me, now, wrote_at=wrote_at, stale=self.stale, running=self.alive
        )

    def _beaten(self, at: datetime, released: int) -> None:
        self._beaten_at = at
        if released:
            log.info("released %d messages held by dead workers", released)
            self.on_released()

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until ``stop``; a failed beat (the database is away) is tried again."""
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
            if stop.is_set():
                return
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat failed; trying again")

    async def leave(self) -> None:
        """Stopping cleanly: this worker's row goes, and whatever it still holds is due."""
        async with self.sessions() as session, session.begin():
            await workers.leave(session, self.me.id, self.clock())
