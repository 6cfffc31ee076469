"""Runs of scheduled jobs: each (job, period key) is claimed once, by inserting it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun, Worker
from storage.upsert import dialect_insert


async def claim(session: AsyncSession, job: str, key: str, now: datetime) -> bool:
    """Claim `job`'s run for the period `key`; False when it is taken. Do the job's work in
    the same transaction: its commit and the claim's are one. On PostgreSQL a concurrent
    claimer waits on the key until the first transaction ends: then a commit makes it False,
    a rollback (the work failed) lets it run instead."""
    insert_ = dialect_insert(session)
    claimed = await session.execute(
        insert_(JobRun)
        .values(job=job, key=key, started_at=now)
        .on_conflict_do_nothing(index_elements=[JobRun.job, JobRun.key])
        .returning(JobRun.job)
    )
    return claimed.first() is not None


async def finish(session: AsyncSession, job: str, key: str, now: datetime) -> None:
    await session.execute(
        update(JobRun).where(JobRun.job == job, JobRun.key == key).values(finished_at=now)
    )


async def claim_lease(
    session: AsyncSession,
    job: str,
    key: str,
    now: datetime,
    lease: timedelta,
    owner: str | None = None,
) -> bool:
    """Claim a long job's period for ``owner`` (a worker's id), committed on its own: True
    when the period is new, or its run never finished and was cut short: its owner is gone
    (storage/repositories/workers.py), or it started more than ``lease`` ago."""
    insert_ = dialect_insert(session)
    stmt = insert_(JobRun).values(job=job, key=key, started_at=now, claimed_by=owner)
    owner_gone = JobRun.claimed_by.is_not(None) & ~exists().where(Worker.id == JobRun.claimed_by)
    claimed = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[JobRun.job, JobRun.key],
            set_={"started_at": stmt.excluded.started_at, "claimed_by": stmt.excluded.claimed_by},
            where=JobRun.finished_at.is_(None) & ((JobRun.started_at <= now - lease) | owner_gone),
        ).returning(JobRun.job)
    )
    return claimed.first() is not None
