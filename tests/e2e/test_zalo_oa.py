"""Zalo Official Account end to end: our services over HTTP against the fake OA, a follower
who writes through the signed webhook and taps query buttons."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from content import Content
from storage.db import make_sessionmaker
from storage.models import AssessmentStatus
from tests.bot.test_zalo_oa import store_grant
from tests.e2e.telegram_stack import register_and_assess, running, the_submission
from tests.e2e.zalo_oa_stack import OAUser
from tests.fakes import fixtures
from tests.fakes.zalo_oa import FakeZaloOA

fake_zalo_oa = fixtures.fake_zalo_oa

pytestmark = pytest.mark.usefixtures("brisk_chats")


async def test_registration_and_self_assessment_by_query_buttons(
    fake_zalo_oa: FakeZaloOA, engine: AsyncEngine, content: Content
) -> None:
    await store_grant(make_sessionmaker(engine), fake_zalo_oa)
    async with running(None, engine, content, "serve", zalo_oa=fake_zalo_oa) as services:
        assert set(services.deliveries) == {"zalo_oa"}
        url = f"http://127.0.0.1:{services.runtime.settings.port}/zalo-oa/webhook"
        user = OAUser(fake_zalo_oa, "oa-4242", url)
        await user.deliver(fake_zalo_oa.follow(user.id))  # following comes first
        await register_and_assess(user, content, name="Lê Văn Zalo", photo=True)
        stored = await the_submission(services)
    assert (stored.assessment.status, stored.name) == (AssessmentStatus.SUBMITTED, "Lê Văn Zalo")
    assert (stored.identity.channel, stored.identity.external_user_id) == ("zalo_oa", "oa-4242")
    assert stored.identity.unreachable_at is None
    [ref] = stored.evidence_refs
    assert ref.startswith("https://photo.fake-zalo-oa.test/oa-4242/")
    sent = fake_zalo_oa.sent("oa-4242")
    assert all(1 <= len(m["text"]) <= 2000 for m in sent)
    # Choices were made by tapping buttons, and each was understood the first time.
    assert user.taps > 10
    assert not [t for t in user.texts() if "của câu trả lời" in t or "câu hỏi trước" in t]
    notice = next(m for m in sent if "THÔNG BÁO VỀ DỮ LIỆU" in m["text"])
    assert [b["title"] for b in notice["buttons"]][:1] == ["Đồng ý"]
