"""A broadcast from the chat over Telegram: an admin writes it, previews and confirms; the
progress message is edited as sending goes on; a pause and a resume from its buttons; the
final figures; each citizen gets it once."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pushes import PushRules
from content import load_content
from storage.models import StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import TelegramUser, running
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.storage.factories import chat_of, create_person

fake_telegram = fixtures.fake_telegram
PEOPLE = 300
RATE = 20
TEXT = "Mời bà con dự họp chi hội tối thứ Bảy"


pytestmark = pytest.mark.usefixtures("brisk_chats")


async def test_an_admin_broadcasts_pauses_resumes_and_sees_the_figures(
    fake_telegram: FakeTelegram, engine: AsyncEngine
) -> None:
    async def deliver(update: dict) -> None:
        fake_telegram.queue(update)

    # Sending takes PEOPLE / RATE seconds (15 s), time enough for the admin's presses, which
    # take a fraction of a second even on a busy machine: the pause catches it under way.
    async with running(fake_telegram, engine, load_content(), "poll", global_rate=RATE) as services:
        # Never quiet, whatever the time the test runs at.
        services.broadcasts.rules = PushRules(quiet_from=time(0), quiet_until=time(0))
        services.broadcasts.progress_every = timedelta(seconds=0.2)
        people = [await create_person(services.sessions) for _ in range(PEOPLE)]
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=utcnow()
            )
        admin = TelegramUser(fake_telegram, 7001, deliver)
        await admin.say(f"/start o_{code}", "quản trị viên")

        await admin.say("/broadcast", "GỬI THÔNG BÁO")
        await admin.say(TEXT, "Gửi cho ai?")
        await admin.press("Toàn Thành phố Đà Nẵng", "Gửi đến: toàn Thành phố Đà Nẵng")
        await admin.press("Xem trước", f"Số người sẽ nhận: {PEOPLE}")
        await admin.press("Gửi ngay", "Đã bắt đầu gửi thông báo #1")
        await admin.wait_for("THÔNG BÁO #1: đang gửi")
        await admin.press("Tạm dừng", "Thông báo #1: tạm dừng.")
        await admin.wait_for("THÔNG BÁO #1: tạm dừng")  # the progress message, edited
        await admin.press("Tiếp tục", "Thông báo #1: đang gửi.")
        await admin.wait_for(f"ĐÃ GỬI XONG THÔNG BÁO #1\nĐã gửi: {PEOPLE}\n", seconds=60)

    for person in people:
        got = [m for m in fake_telegram.sent(int(chat_of(person))) if TEXT in (m["text"] or "")]
        assert len(got) == 1 and "Gõ /stop để ngừng nhận thông báo." in got[0]["text"]
    progress = [
        m
        for m in fake_telegram.sent(admin.id)
        if m["method"] == "editMessageText" and "Đã xử lý" in m["text"]
    ]
    assert {m["message_id"] for m in progress} == {progress[0]["message_id"]}  # one message
    assert any("tạm dừng" in m["text"] for m in progress)
