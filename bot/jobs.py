"""The deployment's scheduled jobs (see bot/scheduler.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta

from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.pushes import Pushes
from bot.scheduler import Job, Pass, daily
from content import Content
from handlers import digest, pushes
from handlers.context import LOCAL_TZ
from storage.repositories import outbox, windows
from storage.repositories import retention as storage_retention

RETENTION_CHUNK = 5000


def review_digest(
    content: Content,
    catalogs: Mapping[str, NullTranslations],
    *,
    hour: int,
    remind_days: int,
    escalate_days: int,
) -> Job:
    """Every morning at `hour` (Vietnam time): officers hear what waits too long."""

    async def run(session: AsyncSession, now: datetime) -> None:
        replies = await digest.review_digest(
            session,
            content,
            catalogs,
            now,
            remind_days=remind_days,
            escalate_days=escalate_days,
        )
        await pushes.queue(session, replies, now)

    return Job("review.digest", daily(time(hour), LOCAL_TZ), run)


def daily_pushes(daily_pass: Pushes) -> Pass:
    """Reminders, follow-ups and campaigns: once a day, at the first tick outside quiet
    hours (a worker down in the morning catches up during the day)."""

    def due(now: datetime) -> str | None:
        return None if daily_pass.rules.quiet(now) else now.astimezone(LOCAL_TZ).date().isoformat()

    return Pass("pushes", due, daily_pass.run)


def retention(
    sessions: async_sessionmaker[AsyncSession],
    *,
    inbox_days: int,
    dedupe_days: int,
    outbox_days: int,
) -> Pass:
    """Every night: forget raw updates once processed, dedupe keys past any redelivery,
    reply windows long closed (kept as long as raw updates, which name the same chats: far
    longer than any window), and messages long sent or given up (they quote what people
    said, and an officer's screens name citizens)."""

    async def run(now: datetime) -> None:
        for prune, days in (
            (storage_retention.prune_inbox, inbox_days),
            (storage_retention.prune_dedupe_keys, dedupe_days),
            (windows.prune, inbox_days),
        ):
            while True:  # small chunks, each its own transaction: the bot keeps writing
                async with sessions() as session, session.begin():
                    if await prune(session, now - timedelta(days=days), RETENTION_CHUNK) == 0:
                        break
        after: int | None = 0
        while after is not None:
            async with sessions() as session, session.begin():
                after = await storage_retention.prune_outbox(
                    session, now - timedelta(days=outbox_days), RETENTION_CHUNK, after
                )

    return Pass("retention", daily(time(3), LOCAL_TZ), run)


def deferred_expiry(days: int) -> Job:
    """Every night: reminders and broadcasts deferred for a closed reply window longer than
    ``days`` are dropped, so they never arrive weeks late and a broadcast's figures settle.
    (A person who writes before then gets them; see storage/repositories/windows.py.)"""

    async def run(session: AsyncSession, now: datetime) -> None:
        await outbox.expire_deferred(session, now - timedelta(days=days), now)

    return Job("deferred.expiry", daily(time(3), LOCAL_TZ), run)


def chosen(names: str, every: Sequence[Job | Pass]) -> list[Job | Pass]:
    """The jobs a process runs, as the SCHEDULED_JOBS setting names them ("all", "none" or a
    comma-separated list). An unknown name stops the start: a typo must not silently leave
    reminders or clean-up unscheduled."""
    if names == "all":
        return list(every)
    wanted = set() if names == "none" else set(names.split(","))
    if unknown := wanted - {job.name for job in every}:
        known = ", ".join(job.name for job in every)
        raise SystemExit(
            f"SCHEDULED_JOBS names no job {', '.join(sorted(unknown))} (jobs: {known})"
        )
    return [job for job in every if job.name in wanted]
