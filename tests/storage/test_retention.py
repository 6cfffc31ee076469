"""Processed raw updates and old dedupe keys are forgotten by age, a chunk at a time; what
is unprocessed or recent stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import InboxUpdate, ProcessedEvent
from storage.repositories import events, inbox, retention
from tests.storage.factories import T0, Sessions

DAY = timedelta(days=1)


async def count(session_factory: Sessions, model: type) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_processed_updates_older_than_the_cutoff_go_in_chunks(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        await inbox.store(
            session,
            [inbox.NewUpdate("telegram", str(n), "chat", n, {"n": n}) for n in range(7)],
            T0,
        )
        ids = list(await session.scalars(select(InboxUpdate.id).order_by(InboxUpdate.id)))
        await inbox.mark_processed(session, ids[:4], T0)  # old
        await inbox.mark_processed(session, ids[4:6], T0 + 10 * DAY)  # recent; ids[6] waits

    async with session_factory() as session, session.begin():
        assert await retention.prune_inbox(session, T0 + 7 * DAY, limit=3) == 3
    async with session_factory() as session, session.begin():
        assert await retention.prune_inbox(session, T0 + 7 * DAY, limit=3) == 1
        assert await retention.prune_inbox(session, T0 + 7 * DAY, limit=3) == 0

    async with session_factory() as session:
        left = list(await session.scalars(select(InboxUpdate.id).order_by(InboxUpdate.id)))
    assert left == ids[4:]


async def test_old_dedupe_keys_go_and_recent_ones_stay(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await events.mark_processed(session, [("telegram", "a"), ("telegram", "b")], T0)
        await events.mark_processed(session, [("telegram", "c")], T0 + 40 * DAY)

    async with session_factory() as session, session.begin():
        assert await retention.prune_dedupe_keys(session, T0 + 30 * DAY, limit=100) == 2

    async with session_factory() as session:
        assert await events.already_processed(session, "telegram", ["a", "b", "c"]) == {"c"}
    assert await count(session_factory, ProcessedEvent) == 1
