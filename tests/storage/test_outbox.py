from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import OutboxMessage, OutboxStatus, User
from storage.repositories import outbox
from tests.storage.factories import T0, Sessions, create_user

LEASE = timedelta(seconds=30)


async def enqueue_many(
    session_factory: Sessions, count: int, *, channel: str = "telegram", user_id: int | None = None
) -> list[int]:
    async with session_factory() as session, session.begin():
        before = await session.scalar(select(func.max(OutboxMessage.id))) or 0
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(user_id, channel, str(n % 7), "answer", {"n": n})
                for n in range(count)
            ],
            T0,
        )
        ids = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
        )
        return list(ids)


async def claim(
    session_factory: Sessions, *, limit: int = 100, at: timedelta = timedelta(0)
) -> list[OutboxMessage]:
    async with session_factory() as session, session.begin():
        return await outbox.claim(
            session, channel="telegram", limit=limit, now=T0 + at, lease=LEASE
        )


async def test_concurrent_claimers_share_the_due_rows_without_overlap(
    session_factory: Sessions,
) -> None:
    due = await enqueue_many(session_factory, 200)
    await enqueue_many(session_factory, 3, channel="zalo")
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            [outbox.NewMessage(None, "telegram", "1", "reminder", {})],
            T0 + timedelta(hours=1),
        )

    async def claimer() -> list[int]:
        taken: list[int] = []
        # Bounded, so that rows claimed twice fail the test instead of looping forever.
        for _ in range(len(due)):
            batch = await claim(session_factory, limit=15)
            if not batch:
                break
            taken.extend(message.id for message in batch)
        return taken

    first, second = await asyncio.gather(claimer(), claimer())

    assert first and second
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == due


async def test_claim_takes_oldest_first_and_leases_them(session_factory: Sessions) -> None:
    ids = await enqueue_many(session_factory, 5)

    claimed = await claim(session_factory, limit=3)

    assert [message.id for message in claimed] == ids[:3]
    assert {(m.status, m.attempts, m.next_attempt_at) for m in claimed} == {
        (OutboxStatus.SENDING, 1, T0 + LEASE)
    }


async def test_a_claimer_skips_rows_another_holds_uncommitted(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: a second claimer queues for the lock")
    ids = await enqueue_many(session_factory, 10)

    async with session_factory() as first, first.begin():
        held = await outbox.claim(first, channel="telegram", limit=4, now=T0, lease=LEASE)
        async with session_factory() as second, second.begin():
            rest = await asyncio.wait_for(
                outbox.claim(second, channel="telegram", limit=10, now=T0, lease=LEASE), timeout=5
            )

    assert sorted(m.id for m in held + rest) == ids


async def test_an_expired_lease_is_reclaimed(session_factory: Sessions) -> None:
    ids = await enqueue_many(session_factory, 3)
    await claim(session_factory)

    assert await claim(session_factory, at=LEASE - timedelta(seconds=1)) == []
    again = await claim(session_factory, at=LEASE + timedelta(seconds=1))

    assert [m.id for m in again] == ids
    assert {m.attempts for m in again} == {2}


async def test_mark_sent_records_the_delivery(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    [message_id] = await enqueue_many(session_factory, 1, user_id=user_id)
    await claim(session_factory)

    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, message_id, "tg-555", T0 + timedelta(seconds=1))

    async with session_factory() as session:
        sent = await session.get_one(OutboxMessage, message_id)
    assert (sent.status, sent.platform_message_id, sent.sent_at) == (
        OutboxStatus.SENT,
        "tg-555",
        T0 + timedelta(seconds=1),
    )


async def test_mark_sent_forgets_a_message_whose_person_was_deleted(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    [message_id] = await enqueue_many(session_factory, 1, user_id=user_id)
    await claim(session_factory)
    async with session_factory() as session, session.begin():
        await session.delete(await session.get_one(User, user_id))

    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, message_id, "tg-556", T0)

    async with session_factory() as session:
        assert await session.scalar(select(OutboxMessage.id)) is None


async def test_status_counts(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    await enqueue_many(session_factory, 4, user_id=user_id)
    [sent] = await claim(session_factory, limit=1)
    await claim(session_factory, limit=1)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, sent.id, None, T0)

    async with session_factory() as session:
        counts = await outbox.status_counts(session)

    assert counts == {"pending": 2, "sending": 1, "sent": 1}
