"""Telegram end to end: the real aiogram client, our services and a fake Bot API over HTTP."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels import telegram
from bot.channels.capabilities import TELEGRAM
from bot.inbox import InboxProcessor
from content import Content
from handlers.engine import Engine
from storage.models import (
    Assessment,
    AssessmentStatus,
    ChannelIdentity,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
    Profile,
)
from tests.e2e.telegram_stack import (
    SECRET,
    TelegramUser,
    quiet_outbox,
    register_and_assess,
    running,
    webhook_only,
)
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram, scramble

fake_telegram = fixtures.fake_telegram


pytestmark = pytest.mark.usefixtures("brisk_chats")


@pytest.mark.parametrize("mode", ["poll", "serve"])
async def test_registration_and_self_assessment_by_buttons(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content, mode: str
) -> None:
    async with running(fake_telegram, engine, content, mode) as services:
        if mode == "poll":

            async def deliver(update: dict) -> None:
                fake_telegram.queue(update)
        else:

            async def deliver(update: dict) -> None:
                assert await fake_telegram.post_webhook(update) == 200

        user = TelegramUser(fake_telegram, 4242, deliver)
        await register_and_assess(user, content)
        await quiet_outbox(services)
        async with services.sessions() as session:
            a = await session.scalar(select(Assessment))
            name = await session.scalar(select(Profile.full_name))
    assert (a.status, name) == (AssessmentStatus.SUBMITTED, "Nguyễn Văn Telegram")

    # Every press was answered, and answered questions lost their buttons (the last one may
    # be acknowledged just after the reply the user waited for).
    def edits() -> list[dict]:
        return [m for m in fake_telegram.sent(4242) if m["method"] == "editMessageText"]

    async with asyncio.timeout(15):
        while len(edits()) < user.presses:
            await asyncio.sleep(0.01)
    answered = [c for c in fake_telegram.calls if c.method == "answerCallbackQuery"]
    assert len(answered) == user.presses
    assert len(edits()) == user.presses and all("✓ " in m["text"] for m in edits())
    assert not any(m.get("reply_markup") for m in edits())
    # The command menu in both languages.
    assert {c["command"] for c in fake_telegram.commands()} >= {"start", "menu", "help"}
    assert fake_telegram.commands(language_code="en")[0]["description"] == "Start"


async def test_webhook_refuses_a_wrong_or_missing_secret(
    fake_telegram: FakeTelegram, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with webhook_only(session_factory) as url:
        update = fake_telegram.user_text(1, "xin chào")
        assert await fake_telegram.post_webhook(update, url=url, secret="wrong") == 401
        assert await fake_telegram.post_webhook(update, url=url, secret="") == 401
        async with session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        assert await fake_telegram.post_webhook(update, url=url, secret=SECRET) == 200
        health_url = url.replace("/telegram/webhook", "/healthz")
        async with (
            aiohttp.ClientSession() as http,
            http.get(health_url, headers={"Authorization": f"Bearer {SECRET}"}) as response,
        ):
            health = await response.json()
        assert response.status == 200 and health["database"] == "ok"
        assert health["inbox_pending"] == 1


async def test_updates_delivered_twice_and_shuffled_have_one_effect_each_in_order(
    fake_telegram: FakeTelegram,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
) -> None:
    people = {uid: f"Người Số {chr(65 + n)}" for n, uid in enumerate(range(301, 307))}
    updates = []
    for uid, name in people.items():
        updates += [
            fake_telegram.user_text(uid, "/start"),
            fake_telegram.user_text(uid, "dong y"),
            fake_telegram.user_text(uid, name),
            fake_telegram.user_text(uid, "1980"),
        ]
    arrivals = scramble(updates, duplicate=1.0, seed=7)
    assert len(arrivals) == 2 * len(updates)
    async with webhook_only(session_factory) as url:
        # Concurrently, as Telegram does over several connections.
        statuses = await asyncio.gather(
            *(fake_telegram.post_webhook(u, url=url, secret=SECRET) for u in arrivals)
        )
    assert set(statuses) == {200}

    processor = InboxProcessor(
        session_factory, Engine(session_factory, content), {"telegram": _NoAck()}
    )
    while await processor.run_once():
        pass
    async with session_factory() as session:
        profiles = {p.full_name: p for p in await session.scalars(select(Profile))}
        replies = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        inbox_rows = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert inbox_rows == len(updates)
    assert set(profiles) == set(people.values())
    assert all(p.birth_year == 1980 for p in profiles.values())
    for uid in people:
        texts = [r.payload["text"] for r in replies if r.chat_id == str(uid)]
        # The exact conversation, once: greeting, notice, name?, birth year?, group?
        assert len(texts) == 5, texts
        assert "Họ và tên" in texts[2] and "sinh năm nào" in texts[3]
        assert "nhóm đối tượng" in texts[4]


class _NoAck:
    channel = "telegram"
    capabilities = TELEGRAM

    def to_event(self, raw):
        return telegram.to_event(raw)

    async def acknowledge(self, raw) -> None:
        return None

    def processed_form(self, raw):
        return raw


async def test_injected_429_and_500_deliver_every_reply_once_in_order(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content
) -> None:
    async with running(
        fake_telegram, engine, content, "poll", base_backoff=0.05, max_backoff=0.2
    ) as services:
        fake_telegram.fail_rate(0.1, statuses=(429, 500), seed=3)
        users = [TelegramUser(fake_telegram, uid, _queue(fake_telegram)) for uid in (11, 12, 13)]

        async def talk(user: TelegramUser) -> None:
            await user.say("/start", "THÔNG BÁO")
            await user.press("Đồng ý", "Họ và tên")
            await user.say("Lê Thị Hồng", "sinh năm nào")
            await user.say("abc", "gõ năm sinh từ")
            await user.say("1966", "nhóm đối tượng")

        await asyncio.gather(*(talk(u) for u in users))
        await quiet_outbox(services)
        fake_telegram.fail_rate(0)
        async with services.sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    for user in users:
        expected = [r.payload["text"] for r in rows if r.chat_id == str(user.id)]
        assert user.texts() == expected  # each once, in the order they were written
    faults = [c for c in fake_telegram.calls if c.status in (429, 500)]
    assert faults, "the fault injection did not fire"
    sends = [c for c in fake_telegram.calls if c.method == "sendMessage"]
    # retry_after (1 s) is honoured: after a 429, nothing reaches the platform until it has
    # passed, except sends already on their way when the 429 left (a few milliseconds).
    in_flight = 0.05
    for fault in (c for c in faults if c.status == 429):
        early = [c.time - fault.time for c in sends if in_flight < c.time - fault.time < 1]
        assert not early, early


def _queue(fake: FakeTelegram):
    async def deliver(update: dict) -> None:
        fake.queue(update)

    return deliver


async def test_a_blocked_user_is_marked_unreachable_without_a_retry_storm(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content
) -> None:
    async with running(fake_telegram, engine, content, "poll") as services:
        user = TelegramUser(fake_telegram, 77, _queue(fake_telegram))
        await user.say("/start", "THÔNG BÁO")
        fake_telegram.block(77)
        fake_telegram.queue(fake_telegram.user_text(77, "đồng ý"))
        async with asyncio.timeout(30):
            while True:
                async with services.sessions() as session:
                    gone = await session.scalar(select(ChannelIdentity.unreachable_at))
                if gone is not None:
                    break
                await asyncio.sleep(0.05)
        await quiet_outbox(services)
        await asyncio.sleep(0.5)  # time for a retry storm, if there were one
        async with services.sessions() as session:
            statuses = list(
                await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
            )
    refused = [c for c in fake_telegram.calls if c.method == "sendMessage" and c.status == 403]
    assert len(refused) == 1
    assert statuses[:2] == [OutboxStatus.SENT, OutboxStatus.SENT]  # before the block
    assert OutboxStatus.CANCELLED in statuses[2:] and OutboxStatus.PENDING not in statuses


async def test_blocking_and_unblocking_updates_set_reachability(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content
) -> None:
    async with running(fake_telegram, engine, content, "poll") as services:
        user = TelegramUser(fake_telegram, 88, _queue(fake_telegram))
        await user.say("/start", "THÔNG BÁO")
        fake_telegram.queue(fake_telegram.my_chat_member(88, blocked=True))
        fake_telegram.queue(fake_telegram.my_chat_member(99, blocked=True))  # a stranger

        async def reachability() -> list:
            async with services.sessions() as session:
                return list(await session.scalars(select(ChannelIdentity.unreachable_at)))

        async with asyncio.timeout(20):
            while (await reachability())[0] is None:
                await asyncio.sleep(0.05)
        fake_telegram.queue(fake_telegram.my_chat_member(88, blocked=False))
        async with asyncio.timeout(20):
            while (await reachability())[0] is not None:
                await asyncio.sleep(0.05)
        assert len(await reachability()) == 1  # nobody was created for the stranger
