"""The engine opens a chat's reply window in the transaction of the person's message, on the
channels that have one, and hands back the chat's deferred messages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from handlers.engine import Engine
from handlers.events import EventKind
from storage.models import ChatWindow, OutboxMessage, OutboxStatus
from storage.repositories import outbox
from tests.handlers.conftest import Chat, Clock

Sessions = async_sessionmaker[AsyncSession]


async def window_of(sessions: Sessions, chat: Chat) -> ChatWindow | None:
    async with sessions() as session:
        return await session.get(ChatWindow, (chat.channel, f"chat-{chat.user}"))


async def test_a_message_opens_the_window_quoting_it_and_releases_deferred_messages(
    session_factory: Sessions, content: Content, clock: Clock
) -> None:
    engine = Engine(session_factory, content, clock=clock, reply_windows={"console"})
    chat = Chat(engine)
    await chat.command("start")
    async with session_factory() as session, session.begin():
        queued = list(await session.scalars(select(OutboxMessage.id)))
        await outbox.defer(session, queued, clock())
    clock.advance(hours=50)

    event = chat.event(EventKind.TEXT, text="xin chào")
    await chat.deliver(event)

    window = await window_of(session_factory, chat)
    assert window is not None
    assert (window.quote_id, window.last_inbound_at, window.replies_used) == (
        event.event_id,
        event.at,
        0,
    )
    async with session_factory() as session:
        found = await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
        assert set(found) == {OutboxStatus.PENDING}


async def test_leaving_the_bot_renews_no_window_and_other_channels_have_none(
    session_factory: Sessions, content: Content, clock: Clock
) -> None:
    windowed = Chat(Engine(session_factory, content, clock=clock, reply_windows={"console"}))
    await windowed.command("start")
    opened = await window_of(session_factory, windowed)
    clock.advance(hours=1)
    await windowed.deliver(windowed.event(EventKind.BLOCKED))
    plain = Chat(Engine(session_factory, content, clock=clock), user="binh")
    await plain.command("start")

    after = await window_of(session_factory, windowed)
    assert opened is not None and after is not None
    assert (after.quote_id, after.last_inbound_at) == (opened.quote_id, opened.last_inbound_at)
    assert await window_of(session_factory, plain) is None
