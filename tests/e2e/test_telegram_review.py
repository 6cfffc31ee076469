"""The association's loop over Telegram: a citizen submits in one chat, an officer (who joined
by an invite link) decides in another, and the citizen hears back and gets the certificate."""

from __future__ import annotations

import io
from datetime import date

import pypdf
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


pytestmark = pytest.mark.usefixtures("brisk_chats")


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
        await register_and_assess(citizen, content, name="trần văn sáu", photo=True)
        indicators = content.criteria_for("residents", date.today().year).indicators

        await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
        # The citizen's photo comes back to the officer as a photo, captioned.
        await officer.press("Xem minh chứng", "Đã gửi 1 tệp minh chứng")
        [photo] = [m for m in fake_telegram.sent(officer.id) if m["method"] == "sendPhoto"]
        assert photo["caption"] == "Chỉ số 1, minh chứng 1/1"
        # Waits name what only the awaited message says: a button's acknowledgement edits
        # the notice (with the same name in it) and often arrives first.
        await officer.press("Trả lại để sửa", "Chọn các chỉ số")
        target = next(ind for ind in indicators if ind.options)
        await officer.press(f"{target.number}.", "Chọn các chỉ số")
        await officer.press("Xong", "nhận xét")
        await officer.say("Cần xác nhận của chi hội", "Đã trả lại")

        await citizen.wait_for("trả lại bản tự đánh giá")
        await citizen.say("/menu", "TRANG CHÍNH")
        await citizen.press("Sửa bản tự đánh giá", f"Chỉ số {target.number}/10")
        await citizen.press(target.options[1].label.vi, "BẢN TỰ ĐÁNH GIÁ")  # a changed answer
        await citizen.press("Nộp bản tự đánh giá", "Nộp ngay?")
        await citizen.press("Nộp ngay", "Đã nộp")

        await officer.wait_for("Đã sửa so với lần nộp trước")
        await officer.press("Xem câu trả lời", "BẢN TỰ ĐÁNH GIÁ NĂM")
        await officer.press("Điều chỉnh điểm", "Chọn chỉ số cần điều chỉnh")
        await officer.press("2.", "Chọn số điểm")
        await officer.press("8 điểm", "lý do")
        await officer.say("Kế hoạch học tập chưa có mốc thời gian", "Tổng điểm: ")
        await officer.press("Duyệt", "Đã duyệt")
        # One message: the decision with the adjustment's reason, then the certificate.
        await citizen.wait_for("Kế hoạch học tập chưa có mốc thời gian")
        certificate = await citizen.wait_for_document()
        await quiet_outbox(services)
        assert services.health["scheduler"] == "running"  # the daily digest's clock
        async with services.sessions() as session:
            a = await session.scalar(select(Assessment))
    assert a.status == AssessmentStatus.APPROVED and a.decided_by is not None
    assert a.adjustments == {
        "I2": {"points": 8, "reason": "Kế hoạch học tập chưa có mốc thời gian"}
    }
    assert certificate["file_name"].endswith(".pdf")
    pdf = pypdf.PdfReader(io.BytesIO(certificate["content"]))
    assert "Trần Văn Sáu" in pdf.pages[0].extract_text()
