"""The broadcast runner on every database backend, with a clock the tests move: it queues
within its window, holds in quiet hours and while paused, finishes with the figures, and
keeps one progress message up to date by edits."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.delivery.broadcasts import BroadcastRunner
from bot.pushes import PushRules
from handlers.i18n import load_catalogs
from storage.models import BroadcastStatus, ChannelIdentity, OutboxMessage, OutboxStatus
from storage.repositories import broadcasts, outbox
from storage.repositories.segments import Segment
from tests.storage.factories import Sessions, create_person

LEASE = timedelta(seconds=60)
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
ADMIN_CHAT = "admin-chat"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


def runner(session_factory: Sessions, clock: Clock, window: int = 10) -> BroadcastRunner:
    return BroadcastRunner(
        session_factory,
        load_catalogs(),
        rate=25,
        rules=PushRules(),  # quiet from 21:00 to 07:00
        window=window,
        batch=4,
        clock=clock,
    )


async def scheduled(session_factory: Sessions, clock: Clock, *, author: int | None = None) -> int:
    async with session_factory() as session, session.begin():
        b = await broadcasts.create(
            session,
            text="Họp chi hội tối thứ Bảy",
            segment=Segment(),
            author_user_id=author,
            now=clock(),
            progress_chat=("telegram", ADMIN_CHAT) if author else None,
        )
        broadcasts.schedule(b, clock(), clock())
        return b.id


async def deliver(session_factory: Sessions, clock: Clock) -> int:
    """What the delivery worker does, all at once: every due message sent."""
    count = 0
    while True:
        async with session_factory() as session, session.begin():
            claimed = await outbox.claim(
                session, channel="telegram", limit=1000, now=clock(), lease=LEASE
            )
            await outbox.mark_sent(session, {m.id: f"m{m.id}" for m in claimed}, clock())
        if not claimed:
            return count
        count += len(claimed)


async def messages(session_factory: Sessions, **where: object) -> list[OutboxMessage]:
    async with session_factory() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(OutboxMessage, name) == value)
        return list(await session.scalars(stmt))


async def status_of(session_factory: Sessions, broadcast_id: int) -> str:
    async with session_factory() as session:
        b = await broadcasts.get(session, broadcast_id)
        assert b is not None
        return b.status


async def test_queues_within_its_window_and_ends_with_the_figures(
    session_factory: Sessions, clock: Clock
) -> None:
    people = [await create_person(session_factory) for _ in range(23)]
    stopped = await create_person(session_factory, opted_out=True)
    admin = await create_person(session_factory)
    broadcast_id = await scheduled(session_factory, clock, author=admin)
    run = runner(session_factory, clock)

    rounds = 0
    while await status_of(session_factory, broadcast_id) != BroadcastStatus.DONE:
        await run.run_once()
        async with session_factory() as session:
            assert await outbox.broadcast_waiting(session, broadcast_id) <= run.window
        await deliver(session_factory, clock)
        clock.now += timedelta(seconds=1)
        rounds += 1
        assert rounds < 20
    assert rounds >= 3  # 24 recipients through a window of 10

    sent = await messages(session_factory, broadcast_id=broadcast_id, status="sent")
    assert Counter(m.user_id for m in sent) == dict.fromkeys([*people, admin], 1)
    [skipped] = await messages(session_factory, broadcast_id=broadcast_id, status="cancelled")
    assert skipped.user_id == stopped
    assert all("Họp chi hội" in m.payload["text"] and "/stop" in m.payload["text"] for m in sent)
    final = (await messages(session_factory, chat_id=ADMIN_CHAT, kind="notice"))[-1]
    assert "ĐÃ GỬI XONG THÔNG BÁO" in final.payload["text"]
    assert (
        "Đã gửi: 24" in final.payload["text"] and "Ngừng nhận thông báo: 1" in final.payload["text"]
    )


async def test_nothing_goes_out_in_quiet_hours(session_factory: Sessions, clock: Clock) -> None:
    for _ in range(12):
        await create_person(session_factory)
    clock.now = datetime(2026, 3, 10, 13, 59, tzinfo=UTC)  # 20:59 in Vietnam
    await scheduled(session_factory, clock)
    run = runner(session_factory, clock)
    assert await run.run_once() == 10  # a window's worth

    clock.now += timedelta(minutes=1)  # 21:00: what waits is held
    assert await run.run_once() == 0
    assert {m.status for m in await messages(session_factory)} == {OutboxStatus.HELD}
    assert await deliver(session_factory, clock) == 0

    clock.now = datetime(2026, 3, 10, 23, 59, tzinfo=UTC)  # 06:59
    assert await run.run_once() == 0
    clock.now += timedelta(minutes=1)  # 07:00
    await run.run_once()
    assert await deliver(session_factory, clock) == 10


async def test_due_in_quiet_hours_waits_for_the_morning(
    session_factory: Sessions, clock: Clock
) -> None:
    person = await create_person(session_factory)
    admin = await create_person(session_factory)
    clock.now = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 23:00
    broadcast_id = await scheduled(session_factory, clock, author=admin)
    run = runner(session_factory, clock)
    assert await run.run_once() == 0
    assert await status_of(session_factory, broadcast_id) == BroadcastStatus.SENDING
    [progress] = await messages(session_factory)
    assert "nghỉ ban đêm, gửi tiếp lúc 07:00" in progress.payload["text"]
    assert await messages(session_factory, user_id=person) == []
    clock.now = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 07:00
    assert await run.run_once() == 2


async def test_a_paused_broadcast_stays_held_until_resumed(
    session_factory: Sessions, clock: Clock
) -> None:
    for _ in range(6):
        await create_person(session_factory)
    broadcast_id = await scheduled(session_factory, clock)
    run = runner(session_factory, clock, window=4)
    assert await run.run_once() == 4
    first = (await messages(session_factory))[0]
    async with session_factory() as session, session.begin():
        assert await broadcasts.pause(session, await broadcasts.get(session, broadcast_id))
        # A worker hands back a message it had claimed before the pause.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first.id).values(status="pending")
        )
    assert await run.run_once() == 0
    assert {m.status for m in await messages(session_factory)} == {OutboxStatus.HELD}
    assert await deliver(session_factory, clock) == 0

    async with session_factory() as session, session.begin():
        assert await broadcasts.resume(
            session, await broadcasts.get(session, broadcast_id), clock()
        )
    assert await deliver(session_factory, clock) == 4
    await run.run_once()
    await deliver(session_factory, clock)
    await run.run_once()
    assert await status_of(session_factory, broadcast_id) == BroadcastStatus.DONE
    assert len(await messages(session_factory, status="sent")) == 6


async def test_one_progress_message_edited_when_its_figures_change(
    session_factory: Sessions, clock: Clock
) -> None:
    for _ in range(8):
        await create_person(session_factory)
    admin = await create_person(session_factory)
    broadcast_id = await scheduled(session_factory, clock, author=admin)
    run = runner(session_factory, clock, window=4)

    await run.run_once()
    [first] = await messages(session_factory, chat_id=ADMIN_CHAT)
    assert "THÔNG BÁO #1: đang gửi" in first.payload["text"]
    assert [b[1] for b in first.payload["buttons"]] == [
        f"*bcpause:{broadcast_id}",
        f"*bccancel:{broadcast_id}",
    ]
    await run.run_once()  # it has not gone out yet: nothing more
    assert len(await messages(session_factory, chat_id=ADMIN_CHAT)) == 1

    await deliver(session_factory, clock)  # the progress message and four recipients
    await run.run_once()
    assert len(await messages(session_factory, chat_id=ADMIN_CHAT)) == 1  # too soon

    clock.now += timedelta(seconds=5)
    await run.run_once()
    edits = await messages(session_factory, chat_id=ADMIN_CHAT)
    assert len(edits) == 2
    assert edits[1].payload["edit"] == f"m{first.id}"  # the platform's id of the first
    assert "Đã xử lý 4/9" in edits[1].payload["text"]

    await deliver(session_factory, clock)
    clock.now += timedelta(seconds=5)
    async with session_factory() as session, session.begin():
        assert await broadcasts.pause(session, await broadcasts.get(session, broadcast_id))
    await run.run_once()
    paused = (await messages(session_factory, chat_id=ADMIN_CHAT))[-1]
    assert "tạm dừng" in paused.payload["text"]
    assert paused.payload["buttons"][0][1] == f"*bcresume:{broadcast_id}"

    await deliver(session_factory, clock)
    clock.now += timedelta(seconds=5)
    await run.run_once()  # the same figures: no edit
    assert (await messages(session_factory, chat_id=ADMIN_CHAT))[-1].id == paused.id


async def test_a_person_on_two_apps_gets_one_message_on_the_app_used_last(
    session_factory: Sessions, clock: Clock
) -> None:
    linked = await create_person(session_factory)  # on Telegram
    others = [await create_person(session_factory) for _ in range(3)]
    async with session_factory() as session, session.begin():
        session.add(
            ChannelIdentity(
                user_id=linked,
                channel="zalo_bot",
                external_user_id="z-linked",
                chat_id="z-linked",
                created_at=clock(),
                last_seen_at=clock(),  # after Telegram's
            )
        )
    broadcast_id = await scheduled(session_factory, clock)
    await runner(session_factory, clock).run_once()

    queued = await messages(session_factory, broadcast_id=broadcast_id)
    assert Counter(m.user_id for m in queued) == dict.fromkeys([linked, *others], 1)
    [theirs] = [m for m in queued if m.user_id == linked]
    assert (theirs.channel, theirs.chat_id) == ("zalo_bot", "z-linked")
