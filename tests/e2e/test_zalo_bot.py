"""Zalo Bot end to end: our services over HTTP against the fake Zalo Bot API, people who
choose options by typing their number or their label."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from content import Content
from storage.models import (
    AssessmentStatus,
    ChannelIdentity,
    InboxUpdate,
)
from tests.e2e.telegram_stack import (
    SECRET,
    TelegramUser,
    quiet_outbox,
    register_and_assess,
    running,
    the_submission,
    webhook_only,
)
from tests.e2e.zalo_stack import ZaloUser, post_to, queue_to
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot

fake_telegram = fixtures.fake_telegram
fake_zalo = fixtures.fake_zalo


pytestmark = pytest.mark.usefixtures("brisk_chats")


@pytest.mark.parametrize(
    ("mode", "by_number", "envelope"),
    [("poll", True, False), ("serve", False, False), ("serve", True, True)],
    ids=["polling-numbers", "webhook-labels", "webhook-enveloped-numbers"],
)
async def test_registration_and_self_assessment_by_typed_choices(
    fake_zalo: FakeZaloBot,
    engine: AsyncEngine,
    content: Content,
    mode: str,
    by_number: bool,
    envelope: bool,
) -> None:
    async with running(None, engine, content, mode, zalo=fake_zalo) as services:
        deliver = queue_to(fake_zalo) if mode == "poll" else post_to(fake_zalo, envelope=envelope)
        user = ZaloUser(fake_zalo, "zl-4242", deliver, by_number=by_number)
        await register_and_assess(user, content, name="Trần Thị Zalo", photo=True)
        stored = await the_submission(services)
    assert (stored.assessment.status, stored.name) == (AssessmentStatus.SUBMITTED, "Trần Thị Zalo")
    assert (stored.identity.channel, stored.identity.external_user_id) == ("zalo_bot", "zl-4242")
    # The photo is kept by its URL, the only reference Zalo gives.
    [ref] = stored.evidence_refs
    assert ref.startswith("https://photo.fake-zalo.test/zl-4242/")
    texts = user.texts()
    assert all(1 <= len(t) <= 2000 for t in texts)
    # Every choice was understood the first time: no re-prompt, no stale option.
    assert not [t for t in texts if "của câu trả lời" in t or "câu hỏi trước" in t]
    assert "[1] Đồng ý" in next(t for t in texts if "THÔNG BÁO VỀ DỮ LIỆU" in t)


async def test_telegram_and_zalo_side_by_side(
    fake_telegram: FakeTelegram, fake_zalo: FakeZaloBot, engine: AsyncEngine, content: Content
) -> None:
    async with running(fake_telegram, engine, content, "poll", zalo=fake_zalo) as services:
        assert set(services.deliveries) == {"telegram", "zalo_bot"}

        async def on_telegram(update: dict) -> None:
            fake_telegram.queue(update)

        telegram_user = TelegramUser(fake_telegram, 77, on_telegram)
        zalo_user = ZaloUser(fake_zalo, "zl-77", queue_to(fake_zalo))
        for user in (telegram_user, zalo_user):
            await user.say("/start", "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN")
            await user.press("Đồng ý", "Họ và tên")
        await quiet_outbox(services)
        async with services.sessions() as session:
            channels = set(await session.scalars(select(ChannelIdentity.channel)))
    assert channels == {"telegram", "zalo_bot"}
    assert not [m for m in fake_telegram.sent(77) if "Họ và tên" in (m.get("text") or "")][1:]


async def test_webhook_checks_the_secret_and_takes_both_shapes_once(
    fake_zalo: FakeZaloBot, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with webhook_only(session_factory) as telegram_url:
        url = telegram_url.replace("/telegram/webhook", "/zalo/webhook")
        update = fake_zalo.user_text("zl-1", "xin chào")
        assert await fake_zalo.post_webhook(update, url=url, secret="wrong-secret") == 401
        assert await fake_zalo.post_webhook(update, url=url, secret="") == 401
        assert await fake_zalo.post_webhook(update, url=url, secret=SECRET) == 200
        # A redelivery, this time inside the {ok, result} envelope: stored once.
        assert await fake_zalo.post_webhook(update, url=url, secret=SECRET, envelope=True) == 200
        other = fake_zalo.user_text("zl-1", "tin thứ hai")
        assert await fake_zalo.post_webhook(other, url=url, secret=SECRET, envelope=True) == 200
        junk = {"ok": True, "result": {"nothing": 1}}
        assert await fake_zalo.post_webhook(junk, url=url, secret=SECRET) == 400
        async with session_factory() as session:
            keys = list(await session.scalars(select(InboxUpdate.update_id)))
            count = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert count == 2
    assert all(k.startswith("message.text.received:") for k in keys)
