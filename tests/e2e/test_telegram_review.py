"""The association's loop over Telegram: a citizen submits in one chat, an officer (who joined
by an invite link) decides in another, and the citizen hears back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from content import Content, load_content
from storage.models import Assessment, AssessmentStatus, StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import TelegramUser, quiet_outbox, register_and_assess, running
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram


@pytest.fixture(autouse=True)
def brisk_chats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.delivery.pacing.CHAT_INTERVAL", 0.01)


async def test_citizen_submits_officer_returns_then_approves(
    fake_telegram: FakeTelegram, engine: AsyncEngine
) -> None:
    content: Content = load_content()

    async def deliver(update: dict) -> None:
        fake_telegram.queue(update)

    async with running(fake_telegram, engine, content, "poll") as services:
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.OFFICER, commune_code="20242", unit_id=None, now=utcnow()
            )
        officer = TelegramUser(fake_telegram, 9001, deliver)
        await officer.say(f"/start o_{code}", "cán bộ xác minh của Phường Hải Châu")

        citizen = TelegramUser(fake_telegram, 9002, deliver)
        await register_and_assess(citizen, content, name="trần văn sáu")
        indicators = content.criteria_for("residents", date.today().year).indicators

        await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
        # Waits name what only the awaited message says: a button's acknowledgement edits
        # the notice (with the same name in it) and often arrives first.
        await officer.press("Xem và quyết định", "BẢN TỰ ĐÁNH GIÁ NĂM")
        await officer.press("Trả lại để sửa", "Chọn các chỉ số")
        target = next(ind for ind in indicators if ind.options)
        await officer.press(f"{target.number}.", "Chọn các chỉ số")
        await officer.press("Xong", "nhận xét")
        await officer.say("Cần xác nhận của chi hội", "Đã trả lại")

        await citizen.wait_for("trả lại bản tự đánh giá")
        await citizen.say("/menu", "MENU")
        await citizen.press("Sửa bản tự đánh giá", f"Chỉ số {target.number}/10")
        await citizen.press(target.options[1].label.vi, "Minh chứng")  # a changed answer
        await citizen.press("Tiếp tục", "BẢN TỰ ĐÁNH GIÁ")
        await citizen.press("Nộp bản tự đánh giá", "Nộp ngay?")
        await citizen.press("Nộp ngay", "Đã nộp")

        await officer.wait_for("Đã sửa so với lần nộp trước")
        await officer.press("Xem và quyết định", "BẢN TỰ ĐÁNH GIÁ NĂM")
        await officer.press("Duyệt", "Đã duyệt")
        await citizen.wait_for("Chúc mừng Anh/Chị đạt danh hiệu Công dân học tập")
        await quiet_outbox(services)
        async with services.sessions() as session:
            a = await session.scalar(select(Assessment))
    assert a.status == AssessmentStatus.APPROVED and a.decided_by is not None
