"""The association's loop and a broadcast on a Zalo Official Account, under its reply window:
what answers a person's message quotes it (free), what the bot says first is proactive while
the month's budget lasts, and the rest waits until the person writes again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time, timedelta

import pypdf
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pushes import PushRules
from bot.services import Services
from content import Content
from storage.db import make_sessionmaker
from storage.models import Assessment, AssessmentStatus, OutboxMessage, StaffRole, utcnow
from storage.repositories import staff
from tests.bot.test_zalo_oa import store_grant
from tests.e2e.telegram_stack import quiet_outbox, register_and_assess, running
from tests.e2e.zalo_oa_stack import OAUser
from tests.fakes import fixtures
from tests.fakes.zalo_oa import FakeZaloOA
from tests.storage.factories import chat_of, create_person

fake_zalo_oa = fixtures.fake_zalo_oa
TEXT = "Mời bà con dự lớp kỹ năng số sáng Chủ nhật"

pytestmark = pytest.mark.usefixtures("brisk_chats")


def url_of(services: Services) -> str:
    return f"http://127.0.0.1:{services.runtime.settings.port}/zalo-oa/webhook"


@asynccontextmanager
async def on_the_oa(
    fake: FakeZaloOA, engine: AsyncEngine, content: Content, *, monthly: int, reserve: int
) -> AsyncIterator[Services]:
    """The bot serving the OA, its tokens granted, with this month's proactive budget."""
    await store_grant(make_sessionmaker(engine), fake)
    configure = {"zalo_oa_proactive_monthly": monthly, "zalo_oa_proactive_reserve": reserve}
    async with running(None, engine, content, "serve", zalo_oa=fake, configure=configure) as s:
        yield s


async def staff_member(services: Services, fake: FakeZaloOA, role: StaffRole) -> OAUser:
    """A follower of the OA who joined the association's staff with an invite code."""
    async with services.sessions() as session, session.begin():
        commune = "20242" if role == StaffRole.OFFICER else None
        code = await staff.invite(
            session, role=role, commune_code=commune, unit_id=None, now=utcnow()
        )
    member = OAUser(fake, f"oa-{role}", url_of(services))
    await member.deliver(fake.follow(member.id))
    await member.say(f"/officer {code}", "Ông/Bà đã được ghi nhận là")
    return member


async def test_an_officer_on_the_oa_approves_with_free_replies_and_the_reserve_for_notices(
    fake_zalo_oa: FakeZaloOA, engine: AsyncEngine, content: Content
) -> None:
    # A budget kept entirely for answers and notices.
    async with on_the_oa(fake_zalo_oa, engine, content, monthly=5, reserve=5) as services:
        officer = await staff_member(services, fake_zalo_oa, StaffRole.OFFICER)
        citizen = OAUser(fake_zalo_oa, "oa-citizen", url_of(services))
        await citizen.deliver(fake_zalo_oa.follow(citizen.id))
        await register_and_assess(citizen, content, name="đỗ văn tám", photo=True)

        await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
        await officer.press("Duyệt", "Tổng điểm: ")
        await officer.press("Duyệt", "Đã duyệt")
        await citizen.wait_for("Giấy chứng nhận Công dân học tập năm")
        await quiet_outbox(services)
        async with services.sessions() as session:
            a = await session.scalar(select(Assessment))
    assert a.status == AssessmentStatus.APPROVED
    to_citizen = fake_zalo_oa.sent("oa-citizen")
    [sent_file] = [m["attachment"] for m in to_citizen if (m["attachment"] or {}).get("type")]
    name, pdf = fake_zalo_oa.uploads[sent_file["payload"]["token"]]
    assert name.endswith(".pdf")
    assert "Đỗ Văn Tám" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # The officer wrote just before each of their messages: all were free replies.
    assert all(m["reply"] for m in fake_zalo_oa.sent(officer.id))
    # The citizen's answers were too; the decision came later, once the eight free replies
    # to their submission were used, and went from the budget's reserve for notices.
    assert all(m["reply"] for m in to_citizen if "Đã nộp" in m["text"])


async def test_a_broadcast_goes_free_then_from_the_budget_then_waits_for_the_person(
    fake_zalo_oa: FakeZaloOA, engine: AsyncEngine, content: Content
) -> None:
    await store_grant(make_sessionmaker(engine), fake_zalo_oa)
    # A budget of 3 proactive messages a month, 1 of them kept for answers and notices: a
    # broadcast may spend 2.
    async with on_the_oa(fake_zalo_oa, engine, content, monthly=3, reserve=1) as services:
        services.broadcasts.rules = PushRules(quiet_from=time(0), quiet_until=time(0))
        services.broadcasts.progress_every = timedelta(seconds=0.2)
        people = [await create_person(services.sessions, channel="zalo_oa") for _ in range(6)]
        chats = [chat_of(p) for p in people]
        # Two of them wrote to the OA a moment ago: their reply windows are open.
        for chat in chats[:2]:
            await OAUser(fake_zalo_oa, chat, url_of(services)).say("xin chào", "TRANG CHÍNH")
        admin = await staff_member(services, fake_zalo_oa, StaffRole.ADMIN)
        await admin.say("/broadcast", "GỬI THÔNG BÁO")
        await admin.say(TEXT, "Gửi cho ai?")
        await admin.press("Toàn Thành phố Đà Nẵng", "Gửi đến: toàn Thành phố Đà Nẵng")
        await admin.press("Xem trước", "Số người sẽ nhận: 6")
        await admin.press("Gửi ngay", "Đã bắt đầu gửi thông báo #1")
        await admin.wait_for("ĐÃ GỬI XONG THÔNG BÁO #1\nĐã gửi: 4\n")
        final = [t for t in admin.texts() if "ĐÃ GỬI XONG" in t]
        assert "Chờ người nhận nhắn lại (ngoài khung trả lời miễn phí): 2" in final[0]

        def got(chat: str) -> list[dict]:
            return [m for m in fake_zalo_oa.sent(chat) if TEXT in m["text"]]

        assert [len(got(chat)) for chat in chats] == [1, 1, 1, 1, 0, 0]
        assert [got(chat)[0]["reply"] for chat in chats[:4]] == [True, True, False, False]
        # One who was waiting writes: the broadcast comes first, as a free reply.
        waiting = OAUser(fake_zalo_oa, chats[4], url_of(services))
        await waiting.say("chào Hội", TEXT)
        await quiet_outbox(services)
        async with services.sessions() as session:
            statuses = list(
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.broadcast_id.is_not(None))
                )
            )
    assert got(chats[4])[0]["reply"] is True
    assert fake_zalo_oa.sent(chats[4])[0]["text"].startswith(TEXT)
    assert sorted(statuses).count("deferred") == 1  # the sixth still waits
