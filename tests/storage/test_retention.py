"""Processed raw updates and old dedupe keys are forgotten by age, a chunk at a time; what
is unprocessed or recent stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from storage.models import Broadcast, InboxUpdate, OutboxMessage, ProcessedEvent
from storage.repositories import events, inbox, outbox, retention
from tests.storage.factories import T0, Sessions, create_user, enqueue

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


async def test_finished_messages_go_after_the_cutoff_and_a_broadcasts_stay(
    session_factory: Sessions,
) -> None:
    person = await create_user(session_factory)
    ids = await enqueue(session_factory, ["a", "b", "c", "d", "e"], user_id=person)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {ids[0]: "m1", ids[1]: "m2", ids[4]: "m5"}, T0)
        await outbox.mark_dead(session, ids[2], error="gone", now=T0)
        broadcast = Broadcast(text="x", segment={}, created_at=T0)
        session.add(broadcast)
        await session.flush()
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(broadcast_id=broadcast.id)
        )
        # ids[3] still waits; the newest was made after the cutoff.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[4]).values(created_at=T0 + 40 * DAY)
        )

    after: int | None = 0
    passes = 0
    while after is not None:
        passes += 1
        async with session_factory() as session, session.begin():
            after = await retention.prune_outbox(session, T0 + 30 * DAY, limit=2, after_id=after)

    async with session_factory() as session:
        left = list(await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    assert left == [ids[1], ids[3], ids[4]]
    assert passes == 3  # two pairs of old rows, then the newer one ends it
