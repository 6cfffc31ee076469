from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, make_sessionmaker
from storage.models import ChannelIdentity, ChannelPause, OutboxMessage, OutboxStatus, User
from storage.repositories import outbox
from tests.storage.factories import T0, Sessions, create_user, enqueue

LEASE = timedelta(seconds=30)
WAITING = 2000  # messages, each to a chat of its own


async def enqueue_many(
    session_factory: Sessions,
    count: int,
    *,
    channel: str = "telegram",
    user_id: int | None = None,
    chats: int = 7,
) -> list[int]:
    return await enqueue(
        session_factory,
        [str(n % chats) for n in range(count)],
        channel=channel,
        user_id=user_id,
    )


async def claim(
    session_factory: Sessions,
    *,
    limit: int = 100,
    at: timedelta = timedelta(0),
    channel: str = "telegram",
) -> list[OutboxMessage]:
    async with session_factory() as session, session.begin():
        return await outbox.claim(session, channel=channel, limit=limit, now=T0 + at, lease=LEASE)


def ids(messages: Sequence[OutboxMessage]) -> list[int]:
    return [message.id for message in messages]


async def get(session_factory: Sessions, message_id: int) -> OutboxMessage | None:
    async with session_factory() as session:
        return await session.get(OutboxMessage, message_id)


async def test_concurrent_claimers_share_the_due_rows_without_overlap(
    session_factory: Sessions,
) -> None:
    # A chat at a time has one message out, so every message here has a chat of its own.
    due = await enqueue_many(session_factory, 200, chats=200)
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
    ids = await enqueue_many(session_factory, 10, chats=10)

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
        await outbox.mark_sent(session, {message_id: "tg-555"}, T0 + timedelta(seconds=1))

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
        await outbox.mark_sent(session, {message_id: "tg-556"}, T0)

    async with session_factory() as session:
        assert await session.scalar(select(OutboxMessage.id)) is None


async def test_status_counts(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    await enqueue_many(session_factory, 4, user_id=user_id)
    [sent] = await claim(session_factory, limit=1)
    await claim(session_factory, limit=1)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {sent.id: None}, T0)

    async with session_factory() as session:
        counts = await outbox.status_counts(session)

    assert counts == {"pending": 2, "sending": 1, "sent": 1}


async def test_claim_takes_only_the_oldest_unfinished_message_of_each_chat(
    session_factory: Sessions,
) -> None:
    a1, b1, a2, b2 = await enqueue(session_factory, ["a", "b", "a", "b"])

    assert ids(await claim(session_factory)) == [a1, b1]
    assert await claim(session_factory) == []  # each chat's first message is still out

    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {a1: None}, T0)
        await outbox.retry_later(session, b1, at=T0 + timedelta(seconds=10), error="Temporary")
    assert ids(await claim(session_factory)) == [a2]  # b2 waits behind b1's retry
    assert ids(await claim(session_factory, at=timedelta(seconds=10))) == [b1]

    async with session_factory() as session, session.begin():
        await outbox.mark_dead(session, b1, error="Rejected: bad", now=T0)
    assert ids(await claim(session_factory, at=timedelta(seconds=10))) == [b2]


async def test_a_claimer_does_not_take_the_message_behind_one_another_holds(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: a second claimer queues for the lock")
    first_a, first_b, _second_a = await enqueue(session_factory, ["a", "b", "a"])

    async with session_factory() as first, first.begin():
        held = await outbox.claim(first, channel="telegram", limit=1, now=T0, lease=LEASE)
        async with session_factory() as second, second.begin():
            rest = await asyncio.wait_for(
                outbox.claim(second, channel="telegram", limit=10, now=T0, lease=LEASE), timeout=5
            )

    assert (ids(held), ids(rest)) == ([first_a], [first_b])


async def test_claim_takes_replies_before_bulk_messages(session_factory: Sessions) -> None:
    reminders = await enqueue(session_factory, ["1", "2"], kind="reminder")
    answers = await enqueue(session_factory, ["3", "4"])

    assert ids(await claim(session_factory, limit=3)) == [*answers, reminders[0]]


async def test_a_paused_channel_is_claimed_again_when_its_pause_ends(
    session_factory: Sessions,
) -> None:
    [telegram] = await enqueue(session_factory, ["1"])
    [zalo] = await enqueue(session_factory, ["1"], channel="zalo")
    async with session_factory() as session, session.begin():
        await outbox.pause_channel(session, "telegram", T0 + timedelta(seconds=5))

    assert await claim(session_factory, at=timedelta(seconds=4.999)) == []
    assert ids(await claim(session_factory, channel="zalo")) == [zalo]
    assert ids(await claim(session_factory, at=timedelta(seconds=5))) == [telegram]


async def test_a_pause_is_lengthened_but_never_shortened(session_factory: Sessions) -> None:
    async def pause(seconds: int) -> object:
        async with session_factory() as session, session.begin():
            await outbox.pause_channel(session, "telegram", T0 + timedelta(seconds=seconds))
        async with session_factory() as session:
            return (await session.get_one(ChannelPause, "telegram")).paused_until

    assert await pause(5) == T0 + timedelta(seconds=5)
    assert await pause(2) == T0 + timedelta(seconds=5)
    assert await pause(8) == T0 + timedelta(seconds=8)


async def test_a_released_claim_is_not_counted_as_an_attempt(session_factory: Sessions) -> None:
    [message_id] = await enqueue(session_factory, ["1"])
    await claim(session_factory)

    async with session_factory() as session, session.begin():
        await outbox.release(session, message_id, at=T0 + timedelta(seconds=3))

    released = await get(session_factory, message_id)
    assert released is not None
    assert (released.status, released.attempts, released.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        T0 + timedelta(seconds=3),
    )


async def test_cancel_for_chat_drops_the_unsent_messages_of_that_chat_only(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    sent, *_ = await enqueue(session_factory, ["9", "9", "9", "8"], user_id=user_id)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {sent: None}, T0)
    await claim(session_factory, limit=1)  # the second is being sent

    async with session_factory() as session, session.begin():
        cancelled = await outbox.cancel_for_chat(session, "telegram", "9", "Unreachable", T0)

    assert cancelled == 2
    async with session_factory() as session:
        rows = await session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error).order_by(OutboxMessage.id)
        )
    statuses = [tuple(row) for row in rows]
    assert statuses == [
        (OutboxStatus.SENT, None),
        (OutboxStatus.CANCELLED, "Unreachable"),
        (OutboxStatus.CANCELLED, "Unreachable"),
        (OutboxStatus.PENDING, None),
    ]


async def test_dead_or_cancelled_messages_of_a_deleted_person_go_entirely(
    session_factory: Sessions,
) -> None:
    dying, blocked = await enqueue(session_factory, ["1", "2"], user_id=None)

    async with session_factory() as session, session.begin():
        await outbox.mark_dead(session, dying, error="Rejected: bad", now=T0)
        await outbox.cancel_for_chat(session, "telegram", "2", "Unreachable", T0)

    assert await get(session_factory, dying) is None
    assert await get(session_factory, blocked) is None


async def test_mark_unreachable_keeps_the_first_time(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        session.add_all(
            [
                ChannelIdentity(
                    user_id=user_id,
                    channel="telegram",
                    external_user_id="5",
                    chat_id="5",
                    created_at=T0,
                ),
                ChannelIdentity(
                    user_id=user_id,
                    channel="zalo",
                    external_user_id="5",
                    chat_id="5",
                    created_at=T0,
                ),
            ]
        )

    for minutes in (1, 2):
        async with session_factory() as session, session.begin():
            await outbox.mark_unreachable(session, "telegram", "5", T0 + timedelta(minutes=minutes))

    async with session_factory() as session:
        rows = await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.unreachable_at)
        )
        marks = {channel: at for channel, at in rows}
    assert marks == {"telegram": T0 + timedelta(minutes=1), "zalo": None}


async def test_requeue_dead_gives_dead_messages_fresh_attempts(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    [telegram] = await enqueue(session_factory, ["1"], user_id=user_id)
    [zalo] = await enqueue(session_factory, ["1"], channel="zalo", user_id=user_id)
    await claim(session_factory)
    await claim(session_factory, channel="zalo")
    async with session_factory() as session, session.begin():
        for message_id in (telegram, zalo):
            await outbox.mark_dead(
                session, message_id, error="Rejected", now=T0 + timedelta(seconds=1)
            )

    async with session_factory() as session, session.begin():
        assert await outbox.requeue_dead(session, "telegram") == 1

    [again] = await claim(session_factory, at=timedelta(seconds=1))
    assert (again.id, again.attempts) == (telegram, 1)
    still_dead = await get(session_factory, zalo)
    assert still_dead is not None and still_dead.status == OutboxStatus.DEAD
    async with session_factory() as session, session.begin():
        assert await outbox.requeue_dead(session) == 1


async def test_oldest_pending_age_counts_messages_not_yet_delivered(
    session_factory: Sessions,
) -> None:
    now = T0 + timedelta(minutes=3)
    async with session_factory() as session:
        assert await outbox.oldest_pending_age(session, now) is None

    user_id = await create_user(session_factory)
    first, _second = await enqueue(session_factory, ["1", "1"], user_id=user_id)
    await claim(session_factory)  # `first` is being sent: not delivered yet
    async with session_factory() as session:
        assert await outbox.oldest_pending_age(session, now) == timedelta(minutes=3)

    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {first: None}, T0)
        await outbox.cancel_for_chat(session, "telegram", "1", "Unreachable", T0)
    async with session_factory() as session:
        assert await outbox.oldest_pending_age(session, now) is None


# Outbox rows read (by a scan, or fetched through an index) by this connection and not yet
# in the server-wide statistics, as PostgreSQL counts them.
ROWS_READ = text(
    "SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'outbox'"
)


async def test_a_claim_reads_about_what_it_takes_whatever_the_statistics(
    backend: str, db_url: str
) -> None:
    """PostgreSQL plans the claim once per connection, from the statistics of the moment, and a
    queue outruns them: a deployment's first claims find the outbox empty, and where
    autovacuum is off no statistics are ever taken. The claim must still read the waiting
    messages in order up to its limit, not every one of them for each it takes."""
    if backend != "postgres":
        pytest.skip("PostgreSQL's planner")
    engine = create_engine(db_url, pool_size=1, max_overflow=0)  # one connection, one plan
    session_factory = make_sessionmaker(engine)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE outbox SET (autovacuum_enabled = false)"))
        async with session_factory() as session, session.begin():
            assert (
                await outbox.claim(session, channel="telegram", limit=10, now=T0, lease=LEASE) == []
            )
        await enqueue(session_factory, [str(n) for n in range(WAITING)])

        async with session_factory() as session, session.begin():
            before = await session.scalar(ROWS_READ)
            claimed = await outbox.claim(session, channel="telegram", limit=10, now=T0, lease=LEASE)
            read = await session.scalar(ROWS_READ) - before
    finally:
        await engine.dispose()

    assert len(claimed) == 10
    # Ten taken, each checked for an earlier message of its chat: a few dozen rows, not
    # every one waiting (once for each taken, as the plan made on the empty outbox did).
    assert read < 100
