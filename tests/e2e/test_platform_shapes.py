"""What the platforms really send, through the running services: an update aiogram cannot
parse on Telegram's long poll, groups and channels, Zalo's redeliveries and hasty polls, a
file sent to the Zalo OA."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Services
from content import Content
from storage.db import make_sessionmaker
from storage.models import Answer, ChannelIdentity, Conversation, InboxUpdate, OutboxMessage
from storage.repositories import inbox
from tests.bot.test_zalo_oa import store_grant
from tests.e2e.telegram_stack import quiet_outbox, register_and_assess, running
from tests.e2e.zalo_oa_stack import OAUser
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA

fake_telegram = fixtures.fake_telegram
fake_zalo = fixtures.fake_zalo
fake_zalo_oa = fixtures.fake_zalo_oa

pytestmark = pytest.mark.usefixtures("brisk_chats")


async def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def test_telegram_polling_confirms_an_update_aiogram_cannot_parse(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content
) -> None:
    poison = fake_telegram.user_text(501, "/start")
    poison["message"]["date"] = "not-a-date"
    async with running(fake_telegram, engine, content, "poll") as services:
        fake_telegram.queue(poison)
        fake_telegram.queue(fake_telegram.user_text(502, "/start"))
        await until(lambda: bool(fake_telegram.sent(502)))
        # Confirmed: the next poll's offset is past it, and it is not handed over again.
        await until(lambda: not fake_telegram.pending)
        fake_telegram.queue(fake_telegram.user_text(501, "/start"))
        await until(lambda: bool(fake_telegram.sent(501)))
        assert "restarting" not in services.health.values()
        async with services.sessions() as session:
            [letter] = await inbox.dead_letters(session)
            kept = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert letter.update_id == str(poison["update_id"]) and letter.payload == poison
    assert "date" in (letter.dead_reason or "")
    assert kept == 3


async def state(services: Services, external_id: str) -> tuple[str, str | None, str, str]:
    async with services.sessions() as session:
        identity = await session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.external_user_id == external_id)
        )
        assert identity is not None
        conversation = await session.get_one(Conversation, identity.user_id)
        return identity.chat_id, str(identity.unreachable_at), conversation.flow, conversation.step


@pytest.mark.parametrize("mode", ["poll", "serve"])
async def test_groups_and_channels_never_touch_a_person(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content, mode: str
) -> None:
    person, group, supergroup, channel = 601, -1001, -1002, -1003
    async with running(fake_telegram, engine, content, mode) as services:

        async def deliver(*updates: dict) -> None:
            for update in updates:
                if mode == "poll":
                    fake_telegram.queue(update)
                else:
                    assert await fake_telegram.post_webhook(update) == 200

        await deliver(fake_telegram.user_text(person, "/start"))
        await until(lambda: bool(fake_telegram.sent(person)))
        await quiet_outbox(services)
        before = await state(services, str(person))
        answers = len(fake_telegram.sent(person))
        await deliver(
            fake_telegram.group_membership(person, group, added=True),
            fake_telegram.group_text(person, group, "/start"),
            fake_telegram.group_text(person, supergroup, "dong y", chat_type="supergroup"),
            fake_telegram.group_press(person, supergroup, "consent:yes"),
            fake_telegram.group_membership(person, channel, added=True, chat_type="channel"),
            fake_telegram.channel_post(channel, "/start"),
            fake_telegram.group_membership(person, group, added=False),
        )

        async def all_processed() -> bool:
            async with services.sessions() as session:
                return await inbox.pending_count(session) == 0

        async with asyncio.timeout(20):
            while not await all_processed():
                await asyncio.sleep(0.02)
        await quiet_outbox(services)
        after = await state(services, str(person))
        async with services.sessions() as session:
            to_groups = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.chat_id.like("-%"))
            )
            dead = await inbox.dead_count(session)
    # Still the person's private chat, reachable, at the same step; nothing said anywhere.
    assert after == before and before[0] == str(person) and before[1] == "None"
    assert (to_groups, dead) == (0, 0)
    assert len(fake_telegram.sent(person)) == answers
    assert not any(fake_telegram.sent(chat) for chat in (group, supergroup, channel))


async def test_zalo_polling_drops_redeliveries_and_pauses_on_hasty_answers(
    fake_zalo: FakeZaloBot, engine: AsyncEngine, content: Content
) -> None:
    async with running(None, engine, content, "poll", zalo=fake_zalo) as services:
        first = fake_zalo.user_text("zl-1", "/start")
        fake_zalo.queue(first)
        await until(lambda: bool(fake_zalo.sent("zl-1")))
        await quiet_outbox(services)
        answers = len(fake_zalo.sent("zl-1"))
        for _ in range(3):
            fake_zalo.redeliver(first)
        await until(lambda: not fake_zalo.pending)
        # Zalo answering at once with nothing, as it was seen to: a few calls a second at most.
        fake_zalo.hasty_polls()
        calls = len(fake_zalo.calls)
        await asyncio.sleep(2)
        polls = [c for c in fake_zalo.calls[calls:] if c.method == "getUpdates"]
        assert 1 <= len(polls) <= 4
        # Still listening: a new message is answered.
        fake_zalo.queue(fake_zalo.user_text("zl-2", "/start"))
        await until(lambda: bool(fake_zalo.sent("zl-2")))
        await quiet_outbox(services)
        async with services.sessions() as session:
            kept = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert kept == 2
    assert len(fake_zalo.sent("zl-1")) == answers


async def test_a_file_sent_to_the_oa_is_evidence(
    fake_zalo_oa: FakeZaloOA, engine: AsyncEngine, content: Content
) -> None:
    await store_grant(make_sessionmaker(engine), fake_zalo_oa)
    async with running(None, engine, content, "serve", zalo_oa=fake_zalo_oa) as services:
        url = f"http://127.0.0.1:{services.runtime.settings.port}/zalo-oa/webhook"
        user = OAUser(fake_zalo_oa, "oa-77", url)
        await user.deliver(fake_zalo_oa.follow(user.id))
        await register_and_assess(
            user, content, evidence=lambda who: fake_zalo_oa.user_file(who, "bang-khen.pdf", 91234)
        )
        await quiet_outbox(services)
        async with services.sessions() as session:
            [items] = [e for e in await session.scalars(select(Answer.evidence)) if e]
    [item] = items
    assert item["ref"].startswith("https://file.fake-zalo-oa.test/oa-77/")
    assert (item["name"], item["size"], item["mime"], item["kind"]) == (
        "bang-khen.pdf",
        91234,
        "application/pdf",
        "document",
    )
