"""Jobs that run once per period (a day, a week...), however many workers run them and
however often they restart.

Every worker ticks (once a minute); a job whose period has come claims it by inserting a
`JobRun` row (job, period key) in the same transaction as everything the job writes. So the
claim and the work commit together or not at all: another worker, or this one after a
restart, finds the key taken and skips it, and a run that failed leaves the period
unclaimed for the next tick. A job only decides what to write; when is decided here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import utcnow
from storage.repositories import jobs

log = logging.getLogger(__name__)

# The period due at a moment (its key, e.g. "2026-11-24"), or None while none is.
Due = Callable[[datetime], str | None]
# Writes the job's effects (outbox rows...) through the session it is given.
Run = Callable[[AsyncSession, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    due: Due
    run: Run


@dataclass(frozen=True, slots=True)
class Pass:
    """A job too big for one transaction (a pass over every citizen, a clean-up): its period
    is claimed in a transaction of its own, then it runs in as many as it likes, then the
    period is marked finished. Its work must be safe to redo: a pass cut short (a crash) is
    taken up again by whichever worker comes first once its worker is found dead (seconds),
    or after ``lease`` as the last resort."""

    name: str
    due: Due
    run: Callable[[datetime], Awaitable[object]]
    lease: timedelta = timedelta(hours=1)


def daily(at: time, tz: ZoneInfo) -> Due:
    """Each local day from `at` until midnight, keyed by the local date: a worker that was
    down at `at` catches up when it comes back the same day."""

    def due(now: datetime) -> str | None:
        local = now.astimezone(tz)
        return local.date().isoformat() if local.time() >= at else None

    return due


class Scheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jobs: Sequence[Job | Pass],
        *,
        clock: Callable[[], datetime] = utcnow,
        interval: float = 60.0,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.owner = owner  # this process's worker id: a pass it runs is known as its
        self.jobs = list(jobs)
        self.clock = clock
        self.interval = interval

    async def tick(self) -> list[str]:
        """Run every due job whose period is unclaimed; the names of those run here."""
        ran = []
        for job in self.jobs:
            now = self.clock()
            key = job.due(now)
            if key is None:
                continue
            try:
                if await self._run(job, key, now):
                    ran.append(job.name)
            except Exception:  # one failing job must not stop the others; retried next tick
                log.exception("job %s (%s) failed", job.name, key)
        return ran

    async def _run(self, job: Job | Pass, key: str, now: datetime) -> bool:
        if isinstance(job, Pass):
            return await self._pass(job, key, now)
        async with self.sessions() as session, session.begin():
            if not await jobs.claim(session, job.name, key, now):
                return False
            await job.run(session, now)
            await jobs.finish(session, job.name, key, self.clock())
        log.info("job %s (%s) done", job.name, key)
        return True

    async def _pass(self, job: Pass, key: str, now: datetime) -> bool:
        async with self.sessions() as session, session.begin():
            if not await jobs.claim_lease(session, job.name, key, now, job.lease, self.owner):
                return False
        await job.run(now)
        async with self.sessions() as session, session.begin():
            await jobs.finish(session, job.name, key, self.clock())
        log.info("job %s (%s) done", job.name, key)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.tick()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
