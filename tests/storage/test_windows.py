"""Reply windows and proactive spend on every database backend: a window counts its free
replies and closes with time, a person's message renews it and hands back their deferred
messages in order (stale reminders and broadcasts expire instead), and the monthly budget is
never overspent, even by two transactions at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import ChatWindow, OutboxMessage, OutboxStatus
from storage.repositories import outbox, windows
from tests.storage.factories import T0, Sessions, create_user, enqueue

OA = "zalo_oa"
WINDOW = timedelta(hours=48)
DAY = timedelta(days=1)


async def open_window(session_factory: Sessions, chat: str, quote: str, at: datetime = T0) -> None:
    async with session_factory() as session, session.begin():
        await windows.opened(
            session, [windows.Inbound(OA, chat, quote, at)], at, expire_before=at - 7 * DAY
        )


async def take_replies(
    session_factory: Sessions, chat: str, count: int, at: datetime = T0
) -> list[str | None]:
    taken = []
    for _ in range(count):
        async with session_factory() as session, session.begin():
            taken.append(await windows.take_reply(session, OA, chat, since=at - WINDOW, free=8))
    return taken


async def defer(session_factory: Sessions, ids: list[int]) -> None:
    async with session_factory() as session, session.begin():
        await outbox.defer(session, ids, T0)


async def statuses(session_factory: Sessions) -> list[tuple[str, str, str | None]]:
    async with session_factory() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.payload["text"], m.status, m.last_error) for m in found]


async def test_a_window_gives_eight_replies_quoting_the_message_then_none(
    session_factory: Sessions,
) -> None:
    await open_window(session_factory, "c1", "msg-1")

    assert await take_replies(session_factory, "c1", 9) == ["msg-1"] * 8 + [None]
    assert await take_replies(session_factory, "c2", 1) == [None]  # never wrote


async def test_a_window_closes_48_hours_after_the_persons_message(
    session_factory: Sessions,
) -> None:
    await open_window(session_factory, "c1", "msg-1")

    assert await take_replies(session_factory, "c1", 1, at=T0 + WINDOW - DAY / 24) == ["msg-1"]
    assert await take_replies(session_factory, "c1", 1, at=T0 + WINDOW) == [None]


async def test_writing_again_renews_the_window_and_its_allowance(
    session_factory: Sessions,
) -> None:
    await open_window(session_factory, "c1", "msg-1")
    await take_replies(session_factory, "c1", 8)

    await open_window(session_factory, "c1", "msg-2", at=T0 + DAY)

    later = T0 + DAY
    assert await take_replies(session_factory, "c1", 9, at=later) == ["msg-2"] * 8 + [None]


async def test_writing_again_hands_back_deferred_messages_in_order(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    ids = await enqueue(session_factory, ["c1"] * 3, channel=OA, user_id=user_id)
    await defer(session_factory, ids)
    [other] = await enqueue(session_factory, ["c2"], channel=OA, user_id=user_id)
    await defer(session_factory, [other])

    await open_window(session_factory, "c1", "msg-1", at=T0 + DAY)

    async with session_factory() as session, session.begin():
        claimed = []
        while found := await outbox.claim(
            session, channel=OA, limit=10, now=T0 + DAY, lease=timedelta(seconds=60)
        ):
            claimed += [m.payload["text"] for m in found]
            await outbox.mark_sent(session, {m.id: None for m in found}, T0 + DAY)
    assert claimed == ["c1:0", "c1:1", "c1:2"]  # c2 did not write: still deferred
    assert (await statuses(session_factory))[-1] == ("c2:0", OutboxStatus.DEFERRED, None)


async def test_a_deferred_message_holds_up_no_later_message_of_its_chat(
    session_factory: Sessions,
) -> None:
    [first, second] = await enqueue(session_factory, ["c1", "c1"], channel=OA)
    await defer(session_factory, [first])

    async with session_factory() as session, session.begin():
        claimed = await outbox.claim(
            session, channel=OA, limit=10, now=T0, lease=timedelta(seconds=60)
        )

    assert [m.id for m in claimed] == [second]


async def test_stale_deferred_reminders_and_broadcasts_expire_personal_messages_wait(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    ids = await enqueue(session_factory, ["c1"], kind="reminder", channel=OA, user_id=user_id)
    ids += await enqueue(session_factory, ["c1"], kind="notice", channel=OA, user_id=user_id)
    await defer(session_factory, ids)

    await open_window(session_factory, "c1", "msg-1", at=T0 + 8 * DAY)

    assert await statuses(session_factory) == [
        ("c1:0", OutboxStatus.CANCELLED, outbox.EXPIRED),
        ("c1:0", OutboxStatus.PENDING, None),
    ]


async def test_the_nightly_expiry_drops_only_stale_deferred_bulk_messages(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    ids = await enqueue(
        session_factory, ["c1", "c2"], kind="broadcast", channel=OA, user_id=user_id
    )
    ids += await enqueue(session_factory, ["c3"], kind="notice", channel=OA, user_id=user_id)
    await defer(session_factory, ids)
    async with session_factory() as session, session.begin():
        # c2's broadcast was queued later than the others: not stale yet.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(created_at=T0 + DAY)
        )
        expired = await outbox.expire_deferred(session, T0 + DAY / 2, T0 + 8 * DAY)

    assert expired == 1
    assert await statuses(session_factory) == [
        ("c1:0", OutboxStatus.CANCELLED, outbox.EXPIRED),
        ("c2:1", OutboxStatus.DEFERRED, None),
        ("c3:0", OutboxStatus.DEFERRED, None),
    ]


async def test_the_proactive_budget_is_never_overspent(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        taken = [await windows.take_proactive(session, OA, "2025-03", 3) for _ in range(5)]
        # Another month, another channel: budgets of their own.
        assert await windows.take_proactive(session, OA, "2025-04", 3)
        assert await windows.take_proactive(session, "other", "2025-03", 3)
        assert not await windows.take_proactive(session, OA, "2025-05", 0)

    assert taken == [True, True, True, False, False]
    async with session_factory() as session:
        assert await windows.proactive_used(session, OA, "2025-03") == 3


async def test_a_second_spender_waits_for_the_first_and_sees_its_count(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: a second spender queues for the lock")
    async with session_factory() as session, session.begin():
        assert await windows.take_proactive(session, OA, "2025-03", 2)

    async with session_factory() as first:
        await first.begin()
        assert await windows.take_proactive(first, OA, "2025-03", 2)  # the last one
        async with session_factory() as second, second.begin():
            late = asyncio.create_task(windows.take_proactive(second, OA, "2025-03", 2))
            await asyncio.sleep(0.2)
            assert not late.done()  # waits on the first's uncommitted count
            await first.commit()
            assert await asyncio.wait_for(late, timeout=10) is False


async def test_long_closed_windows_are_pruned(session_factory: Sessions) -> None:
    await open_window(session_factory, "old", "msg-1", at=T0)
    await open_window(session_factory, "new", "msg-2", at=T0 + 20 * DAY)

    async with session_factory() as session, session.begin():
        assert await windows.prune(session, T0 + DAY, 100) == 1
    async with session_factory() as session:
        assert list(await session.scalars(select(ChatWindow.chat_id))) == ["new"]
