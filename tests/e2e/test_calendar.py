"""The journeys at the dates that matter: the year's turn in Vietnam, the December campaign,
Lifelong Learning Week, Digital Transformation Day and a leap day. The clock is moved, so the
suite says the same on every day of the year.

At each moment a citizen registers, takes and submits the self-assessment, an officer
approves it and the citizen gets the certificate; another citizen only registers. Then the
day's reminders and campaigns run: each date gets exactly its campaigns (none in the quiet
hours around midnight), and only for their audience.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from content import Content
from handlers.context import LOCAL_TZ
from storage.models import Assessment, AssessmentStatus, ChannelIdentity, Push, StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import TelegramUser, quiet_outbox, register_and_assess, running
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram

pytestmark = pytest.mark.usefixtures("brisk_chats")

CITIZEN, WAITING, OFFICER = 7001, 7002, 7003

# (local moment, the campaigns each citizen gets that day: who -> rule ids)
MOMENTS = {
    "new year 00:00": (datetime(2027, 1, 1, 0, 0), {}),
    "31 December 23:59": (datetime(2026, 12, 31, 23, 59), {}),
    "5 December": (
        datetime(2026, 12, 5, 9, 0),
        {WAITING: {"submit_before_deadline-2026"}},
    ),
    "Lifelong Learning Week": (
        datetime(2026, 10, 3, 9, 0),
        {c: {"lifelong_learning_week-2026"} for c in (CITIZEN, WAITING)},
    ),
    "Digital Transformation Day": (
        datetime(2026, 10, 10, 9, 0),
        {c: {"digital_skills_invite-2026"} for c in (CITIZEN, WAITING)},
    ),
    "29 February": (datetime(2028, 2, 29, 9, 0), {}),
}


@pytest.mark.parametrize("moment", MOMENTS)
async def test_the_year_s_journeys_on_the_dates_that_matter(
    fake_telegram: FakeTelegram, engine: AsyncEngine, content: Content, moment: str
) -> None:
    local, expected = MOMENTS[moment]

    async def deliver(update: dict) -> None:
        fake_telegram.queue(update)

    citizen = TelegramUser(fake_telegram, CITIZEN, deliver)
    waiting = TelegramUser(fake_telegram, WAITING, deliver)
    officer = TelegramUser(fake_telegram, OFFICER, deliver)
    with time_machine.travel(local.replace(tzinfo=LOCAL_TZ), tick=True):
        async with running(fake_telegram, engine, content, "poll") as services:
            async with services.sessions() as session, session.begin():
                code = await staff.invite(
                    session,
                    role=StaffRole.OFFICER,
                    commune_code="20242",
                    unit_id=None,
                    now=utcnow(),
                )
            await officer.say(f"/start o_{code}", "cán bộ xác minh của Phường Hải Châu")
            await register_and_assess(citizen, content, name="Lê Thị Năm")
            await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
            await officer.press("Xem câu trả lời", "BẢN TỰ ĐÁNH GIÁ NĂM")
            await officer.press("Duyệt", "Tổng điểm: ")  # the summary to confirm
            await officer.press("Duyệt", "Đã duyệt")
            certificate = await citizen.wait_for_document()

            await waiting.say("/start", "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN")
            await waiting.press("Đồng ý", "Họ và tên")
            await waiting.say("Phạm Văn Chờ", "sinh năm nào")
            await waiting.say("1958", "nhóm đối tượng")
            await waiting.press("Người dân", "xã/phường nào")
            await waiting.say("hai chau", "đúng không?")
            await waiting.press("Đúng", "thôn hoặc tổ dân phố")
            await waiting.press("Bỏ qua", "TRANG CHÍNH")
            await quiet_outbox(services)

        # The next process runs the day's reminders and campaigns as it starts.
        async with running(
            fake_telegram, engine, content, "poll", configure={"scheduled_jobs": "pushes"}
        ) as services:
            await services.scheduler.tick()  # done already, or now: once a day either way
            await quiet_outbox(services)
            async with services.sessions() as session:
                assessment = await session.scalar(select(Assessment))
                pushes = list(await session.scalars(select(Push)))
                identities = {
                    i.user_id: int(i.external_user_id)
                    for i in await session.scalars(select(ChannelIdentity))
                }

    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.year == local.year  # the local year, also in the minute before midnight
    assert certificate["file_name"].endswith(".pdf")
    got: dict[int, set[str]] = {}
    for push in pushes:
        if push.kind == "campaign":
            got.setdefault(identities[push.user_id], set()).add(push.key)
    assert got == expected
    campaign_texts = {
        "submit_before_deadline": "trước ngày 15/12",
        "lifelong_learning_week": "Tuần lễ học tập suốt đời",
        "digital_skills_invite": "Ngày Chuyển đổi số",
    }
    for person, keys in expected.items():
        chat = TelegramUser(fake_telegram, person, deliver).texts()
        for key in keys:
            assert any(campaign_texts[key.rsplit("-", 1)[0]] in text for text in chat)
