"""Several batches in flight at once (PostgreSQL, while a backlog waits): each update is
processed once, each chat's in order, and a bad update is still set aside alone."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from bot.channels import telegram
from bot.channels.telegram_api import BotApi
from bot.inbox import InboxProcessor
from content import Content
from handlers.engine import Engine
from handlers.events import Event, Outcome
from storage.repositories import inbox
from tests.bot import test_dead_letters as dead_letters
from tests.bot.test_dead_letters import answered, dead, store
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.storage.factories import Sessions

content = dead_letters.content
fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot


class Recording(Engine):
    """The real engine, noting each event as it comes and how many batches it handles at
    once (each takes a moment, as a batch's round trips do)."""

    def __init__(self, sessions: Sessions, content: Content) -> None:
        super().__init__(sessions, content)
        self.seen: dict[str, list[str]] = defaultdict(list)  # chat -> texts, in order
        self.handling = self.most_at_once = 0

    async def handle_batch(self, batch: Sequence[Event]) -> list[Outcome]:
        for event in batch:
            self.seen[event.chat_id].append(event.text or "")
        self.handling += 1
        self.most_at_once = max(self.most_at_once, self.handling)
        try:
            await asyncio.sleep(0.02)
            return await super().handle_batch(batch)
        finally:
            self.handling -= 1


async def until_done(sessions: Sessions, p: InboxProcessor) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(p.run(stop))
    async with asyncio.timeout(60):
        while True:
            async with sessions() as session:
                if await inbox.pending_count(session) == 0:
                    break
            await asyncio.sleep(0.05)
    stop.set()
    await running


async def test_a_backlog_is_processed_in_several_batches_at_once_each_chat_in_order(
    session_factory: Sessions, content: Content, fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    chats = range(100, 140)
    # Each chat's three messages, stored all together: 120 updates, 15 batches of 8.
    updates = [fake_telegram.user_text(uid, f"{n}") for n in range(3) for uid in chats]
    poison = fake_telegram.user_text(99, "0")
    poison["message"]["text"] = 5
    await store(session_factory, poison, *updates)
    engine = Recording(session_factory, content)
    claims = session_factory.kw["bind"].dialect.name == "postgresql"  # as the services run it
    p = InboxProcessor(
        session_factory,
        engine,
        {telegram.CHANNEL: telegram.TelegramInbound(telegram_bot)},
        batch=8,
        claims=claims,
    )

    await until_done(session_factory, p)

    assert engine.seen == {str(uid): ["0", "1", "2"] for uid in chats}
    assert await answered(session_factory) == {str(uid) for uid in chats}
    assert list(await dead(session_factory)) == [str(poison["update_id"])]
    # Claims let batches overlap; SQLite's single writer takes one at a time.
    assert (engine.most_at_once > 1) is claims
