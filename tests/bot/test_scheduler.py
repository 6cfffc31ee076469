"""A job runs once per period whatever the number of schedulers and restarts, and its claim
and its work commit together: a failed run is done again on the next tick."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import jobs
from bot.scheduler import Job, Pass, Scheduler, daily
from bot.settings import Settings
from storage.db import create_engine, make_sessionmaker
from storage.models import AuditEntry, InboxUpdate, JobRun
from storage.repositories import audit, events, inbox
from tests.storage.factories import Sessions

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def noted(session: AsyncSession, now: datetime) -> None:
    """The job's effect, written in the run's transaction; a pause lets another scheduler
    try to claim the same period meanwhile."""
    await audit.record(session, [audit.NewEntry(None, "test.job")], now)
    await asyncio.sleep(0.05)


JOB = Job("test.job", daily(time(8), VIETNAM), noted)


async def effects(sessions: Sessions) -> int:
    async with sessions() as session:
        return await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.job")
        )


async def test_two_schedulers_at_once_run_a_job_once(
    db_url: str, engine: AsyncEngine, session_factory: Sessions
) -> None:
    other_process = create_engine(db_url)  # its own connections, as another worker has
    try:
        clock = Clock(MORNING + timedelta(minutes=1))
        first = Scheduler(session_factory, [JOB], clock=clock)
        second = Scheduler(make_sessionmaker(other_process), [JOB], clock=clock)
        ran = await asyncio.gather(first.tick(), second.tick())
    finally:
        await other_process.dispose()
    assert sorted(ran) == [[], ["test.job"]]
    assert await effects(session_factory) == 1
    async with session_factory() as session:
        run = await session.scalar(select(JobRun))
    assert (run.job, run.key) == ("test.job", "2026-11-24") and run.finished_at is not None


async def test_a_daily_job_catches_up_later_that_day_once_and_runs_again_the_next(
    session_factory: Sessions,
) -> None:
    clock = Clock(MORNING - timedelta(hours=1))  # 07:00: not yet
    assert await Scheduler(session_factory, [JOB], clock=clock).tick() == []
    clock.now = MORNING + timedelta(hours=5)  # down at 08:00, back at 13:00
    assert await Scheduler(session_factory, [JOB], clock=clock).tick() == ["test.job"]
    clock.now = MORNING + timedelta(hours=9)  # restarted again at 17:00
    assert await Scheduler(session_factory, [JOB], clock=clock).tick() == []
    clock.now = MORNING + timedelta(days=1, minutes=1)
    assert await Scheduler(session_factory, [JOB], clock=clock).tick() == ["test.job"]
    assert await effects(session_factory) == 2


async def test_a_failed_run_leaves_its_period_to_the_next_tick(session_factory: Sessions) -> None:
    attempts = []

    async def flaky(session: AsyncSession, now: datetime) -> None:
        await noted(session, now)
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")

    clock = Clock(MORNING)
    scheduler = Scheduler(session_factory, [Job("test.job", JOB.due, flaky)], clock=clock)
    assert await scheduler.tick() == []
    assert await effects(session_factory) == 0  # rolled back with its claim
    assert await scheduler.tick() == ["test.job"]
    assert await effects(session_factory) == 1


async def test_a_pass_runs_once_and_one_cut_short_is_taken_up_after_its_lease(
    session_factory: Sessions,
) -> None:
    runs: list[datetime] = []
    crash = True

    async def work(now: datetime) -> None:
        runs.append(now)
        if crash:
            raise RuntimeError("killed mid-pass")

    job = Pass("test.pass", daily(time(8), VIETNAM), work, lease=timedelta(hours=1))
    clock = Clock(MORNING)
    scheduler = Scheduler(session_factory, [job], clock=clock)

    assert await scheduler.tick() == []  # cut short: claimed, not finished
    clock.now += timedelta(minutes=30)
    assert await scheduler.tick() == []  # still leased to the run that died
    crash = False
    clock.now += timedelta(minutes=31)
    assert await scheduler.tick() == ["test.pass"]
    clock.now += timedelta(hours=2)
    assert await scheduler.tick() == []  # finished for the day

    assert runs == [MORNING, MORNING + timedelta(minutes=61)]
    async with session_factory() as session:
        run = await session.scalar(select(JobRun).where(JobRun.job == "test.pass"))
    assert run is not None and run.finished_at is not None


async def test_the_nightly_clean_up_forgets_old_inbox_rows_and_dedupe_keys(
    session_factory: Sessions,
) -> None:
    night = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 03:00 in Vietnam
    async with session_factory() as session, session.begin():
        await inbox.store(session, [inbox.NewUpdate("telegram", "1", "c", 1, {})], night)
        await inbox.mark_processed(session, [1], night - timedelta(days=8))
        await events.mark_processed(session, [("telegram", "old")], night - timedelta(days=31))
        await events.mark_processed(session, [("telegram", "new")], night - timedelta(days=1))
    job = jobs.retention(session_factory, inbox_days=7, dedupe_days=30, outbox_days=30)

    assert await Scheduler(session_factory, [job], clock=Clock(night)).tick() == ["retention"]

    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        assert await events.already_processed(session, "telegram", ["old", "new"]) == {"new"}


def test_scheduled_jobs_setting_chooses_the_jobs_a_process_runs() -> None:
    every = [
        Job("review.digest", lambda now: None, noted),
        Job("pushes", lambda now: None, noted),
        Job("retention", lambda now: None, noted),
    ]
    assert [j.name for j in jobs.chosen("all", every)] == ["review.digest", "pushes", "retention"]
    assert jobs.chosen("none", every) == []
    assert [j.name for j in jobs.chosen("retention,pushes", every)] == ["pushes", "retention"]
    with pytest.raises(SystemExit, match="reminders"):
        jobs.chosen("pushes,reminders", every)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, scheduled_jobs="pushes, retention")
