"""A broadcast's recipients queued by user id: a batch and the cursor together, never twice;
held and released, cancelled, and counted; an opt-out drops what waits."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage.models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus
from storage.repositories import broadcasts, outbox
from storage.repositories.segments import Segment
from tests.storage.factories import T0, Sessions, chat_of, create_person, enqueue

TEXTS = {"vi": "Xin chào", "en": "Hello"}
LEASE = timedelta(seconds=60)


async def new_broadcast(session_factory: Sessions, segment: Segment | None = None) -> int:
    async with session_factory() as session, session.begin():
        b = await broadcasts.create(
            session, text="Xin chào", segment=segment or Segment(), author_user_id=None, now=T0
        )
        assert broadcasts.schedule(b, T0, T0)
        await broadcasts.start(session, b, T0)
        return b.id


async def next_batch(session_factory: Sessions, broadcast_id: int, limit: int) -> int:
    async with session_factory() as session, session.begin():
        b = await broadcasts.get(session, broadcast_id, lock=True)
        return await broadcasts.enqueue_next(session, b, limit=limit, texts=TEXTS, now=T0)


async def rows(session_factory: Sessions, broadcast_id: int) -> list[OutboxMessage]:
    async with session_factory() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.broadcast_id == broadcast_id)
                .order_by(OutboxMessage.user_id)
            )
        )


async def loaded(session_factory: Sessions, broadcast_id: int) -> Broadcast:
    async with session_factory() as session:
        found = await broadcasts.get(session, broadcast_id)
        assert found is not None
        return found


async def test_batches_follow_the_cursor_and_cover_everyone_once(session_factory: Sessions) -> None:
    people = [
        await create_person(session_factory, locale="en" if n == 2 else "vi") for n in range(5)
    ]
    broadcast_id = await new_broadcast(session_factory)
    assert (await loaded(session_factory, broadcast_id)).total == 5

    assert await next_batch(session_factory, broadcast_id, 2) == 2
    b = await loaded(session_factory, broadcast_id)
    assert b.cursor == people[1] and b.enqueued_at is None
    assert await next_batch(session_factory, broadcast_id, 2) == 2
    assert await next_batch(session_factory, broadcast_id, 2) == 1  # the last, short batch
    assert (await loaded(session_factory, broadcast_id)).enqueued_at == T0
    assert await next_batch(session_factory, broadcast_id, 2) == 0

    queued = await rows(session_factory, broadcast_id)
    assert [r.user_id for r in queued] == people
    assert {r.kind for r in queued} == {"broadcast"}
    assert {r.lane for r in queued} == {outbox.BULK_LANE}
    assert [r.chat_id for r in queued] == [chat_of(p) for p in people]
    assert [r.payload["text"] for r in queued] == ["Xin chào"] * 2 + ["Hello"] + ["Xin chào"] * 2


async def test_a_batch_lost_in_a_crash_is_queued_again_and_a_repeated_one_adds_nothing(
    session_factory: Sessions,
) -> None:
    people = [await create_person(session_factory) for _ in range(6)]
    broadcast_id = await new_broadcast(session_factory)
    await next_batch(session_factory, broadcast_id, 3)

    # The process dies after queueing the second batch, before the commit.
    with pytest.raises(RuntimeError):
        async with session_factory() as session, session.begin():
            b = await broadcasts.get(session, broadcast_id, lock=True)
            await broadcasts.enqueue_next(session, b, limit=3, texts=TEXTS, now=T0)
            raise RuntimeError("killed")
    assert (await loaded(session_factory, broadcast_id)).cursor == people[2]
    assert len(await rows(session_factory, broadcast_id)) == 3

    # A runner that read the cursor before the first batch committed queues it again.
    async with session_factory() as session, session.begin():
        b = await broadcasts.get(session, broadcast_id, lock=True)
        b.cursor = 0
        await broadcasts.enqueue_next(session, b, limit=3, texts=TEXTS, now=T0)
    while await next_batch(session_factory, broadcast_id, 3):
        pass
    counts = Counter(r.user_id for r in await rows(session_factory, broadcast_id))
    assert counts == dict.fromkeys(people, 1)


async def test_the_opted_out_and_unreachable_are_recorded_not_sent(
    session_factory: Sessions,
) -> None:
    keen = await create_person(session_factory)
    stopped = await create_person(session_factory, opted_out=True)
    blocked = await create_person(session_factory, unreachable=True)
    broadcast_id = await new_broadcast(session_factory)
    await next_batch(session_factory, broadcast_id, 10)

    by_user = {r.user_id: r for r in await rows(session_factory, broadcast_id)}
    assert by_user[keen].status == OutboxStatus.PENDING
    assert (by_user[stopped].status, by_user[stopped].last_error) == ("cancelled", outbox.OPTED_OUT)
    assert by_user[blocked].status == OutboxStatus.CANCELLED
    async with session_factory() as session:
        stats = await broadcasts.stats(session, await broadcasts.get(session, broadcast_id))
    assert (stats.total, stats.waiting, stats.opted_out, stats.blocked) == (3, 1, 1, 1)


async def test_held_messages_are_not_claimed_and_do_not_hold_up_replies(
    session_factory: Sessions,
) -> None:
    person = await create_person(session_factory)
    broadcast_id = await new_broadcast(session_factory)
    await next_batch(session_factory, broadcast_id, 10)
    async with session_factory() as session, session.begin():
        assert await broadcasts.pause(session, await broadcasts.get(session, broadcast_id))
    [reply] = await enqueue(session_factory, [chat_of(person)], user_id=person)

    async with session_factory() as session, session.begin():
        claimed = await outbox.claim(session, channel="telegram", limit=10, now=T0, lease=LEASE)
    assert [m.id for m in claimed] == [reply]  # the reply, though queued after
    [held] = await rows(session_factory, broadcast_id)
    assert held.status == OutboxStatus.HELD

    async with session_factory() as session, session.begin():
        b = await broadcasts.get(session, broadcast_id)
        assert b.status == BroadcastStatus.PAUSED
        assert not await broadcasts.pause(session, b)  # already
        assert await broadcasts.resume(session, b, T0)
        assert b.status == BroadcastStatus.SENDING
    [released] = await rows(session_factory, broadcast_id)
    assert released.status == OutboxStatus.PENDING


async def test_cancel_drops_what_waits_and_keeps_what_went(session_factory: Sessions) -> None:
    for _ in range(3):
        await create_person(session_factory)
    broadcast_id = await new_broadcast(session_factory)
    await next_batch(session_factory, broadcast_id, 10)
    first, second, _ = await rows(session_factory, broadcast_id)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {first.id: "77"}, T0)
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == second.id).values(status="held")
        )
        b = await broadcasts.get(session, broadcast_id)
        assert await broadcasts.cancel(session, b, T0)
        assert not await broadcasts.cancel(session, b, T0)
        assert not await broadcasts.resume(session, b, T0)
    assert [r.status for r in await rows(session_factory, broadcast_id)] == [
        "sent",
        "cancelled",
        "cancelled",
    ]
    async with session_factory() as session:
        b = await broadcasts.get(session, broadcast_id)
        stats = await broadcasts.stats(session, b)
    assert (b.status, stats.sent, stats.cancelled, stats.waiting) == ("cancelled", 1, 2, 0)


async def test_figures_tell_blocked_failed_and_opted_out_apart(session_factory: Sessions) -> None:
    for _ in range(5):
        await create_person(session_factory)
    broadcast_id = await new_broadcast(session_factory)
    await next_batch(session_factory, broadcast_id, 10)
    sent, dead, blocked, stopped, _ = await rows(session_factory, broadcast_id)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, {sent.id: "1"}, T0)
        await outbox.mark_dead(session, dead.id, error="Rejected: chat not found", now=T0)
        # What the delivery worker does on a 403.
        await outbox.cancel_for_chat(
            session, "telegram", blocked.chat_id, "Unreachable: Forbidden: bot was blocked", T0
        )
        await outbox.cancel_bulk_for_user(session, stopped.user_id, T0)
        stats = await broadcasts.stats(session, await broadcasts.get(session, broadcast_id))
        assert not await broadcasts.finish_if_delivered(
            session, await broadcasts.get(session, broadcast_id), T0
        )
    assert (stats.sent, stats.failed, stats.blocked, stats.opted_out, stats.waiting) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert stats.finished == 4


async def test_an_opt_out_drops_only_that_persons_bulk_messages(session_factory: Sessions) -> None:
    person = await create_person(session_factory)
    other = await create_person(session_factory)
    chat = chat_of(person)
    [answer] = await enqueue(session_factory, [chat], user_id=person)
    [reminder] = await enqueue(session_factory, [chat], kind="reminder", user_id=person)
    [theirs] = await enqueue(session_factory, [chat_of(other)], kind="reminder", user_id=other)
    async with session_factory() as session, session.begin():
        assert await outbox.cancel_bulk_for_user(session, person, T0) == 1
        statuses = {
            m.id: (m.status, m.last_error) for m in await session.scalars(select(OutboxMessage))
        }
    assert statuses[answer] == ("pending", None)
    assert statuses[reminder] == ("cancelled", outbox.OPTED_OUT)
    assert statuses[theirs] == ("pending", None)


async def test_only_due_and_live_broadcasts_are_active(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        made = []
        for status, send_at in (
            ("draft", None),
            ("scheduled", T0 + timedelta(hours=1)),
            ("scheduled", T0),
            ("sending", T0),
            ("paused", T0),
            ("done", T0),
            ("cancelled", T0),
        ):
            b = await broadcasts.create(
                session, text="x", segment=Segment(), author_user_id=None, now=T0
            )
            b.status, b.send_at = status, send_at
            made.append(b.id)
        await session.flush()
        assert await broadcasts.active(session, T0) == made[2:5]
