"""A broadcast from the chat, on Telegram and on Zalo Bot: an admin writes it, previews and
confirms; pauses and resumes it from its progress message; gets the final figures; each
citizen gets it once. Telegram edits one progress message as sending goes on; Zalo Bot,
which cannot edit, sends it once, and the admin chooses by typing option numbers."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pushes import PushRules
from content import Content
from storage.models import StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import TelegramUser, running
from tests.e2e.zalo_stack import ZaloUser, queue_to
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot
from tests.storage.factories import chat_of, create_person

fake_telegram = fixtures.fake_telegram
fake_zalo = fixtures.fake_zalo
PEOPLE = 300
# Sending takes PEOPLE / RATE seconds (15 s), time enough for the admin's presses, which
# take a fraction of a second even on a busy machine: the pause catches it under way.
RATE = 20
TEXT = "Mời bà con dự họp chi hội tối thứ Bảy"


pytestmark = pytest.mark.usefixtures("brisk_chats")


@pytest.mark.parametrize("channel", ["telegram", "zalo_bot"])
async def test_an_admin_broadcasts_pauses_resumes_and_sees_the_figures(
    fake_telegram: FakeTelegram,
    fake_zalo: FakeZaloBot,
    engine: AsyncEngine,
    content: Content,
    channel: str,
) -> None:
    on_telegram = channel == "telegram"
    async with running(
        fake_telegram if on_telegram else None,
        engine,
        content,
        "poll",
        zalo=None if on_telegram else fake_zalo,
        global_rate=RATE,
    ) as services:
        # Never quiet, whatever the time the test runs at.
        services.broadcasts.rules = PushRules(quiet_from=time(0), quiet_until=time(0))
        services.broadcasts.progress_every = timedelta(seconds=0.2)
        people = [await create_person(services.sessions, channel=channel) for _ in range(PEOPLE)]
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=utcnow()
            )
        if on_telegram:

            async def deliver(update: dict) -> None:
                fake_telegram.queue(update)

            admin: TelegramUser | ZaloUser = TelegramUser(fake_telegram, 7001, deliver)
            await admin.say(f"/start o_{code}", "quản trị viên")
        else:
            admin = ZaloUser(fake_zalo, "zl-admin", queue_to(fake_zalo))
            await admin.say(f"/officer {code}", "quản trị viên")

        await admin.say("/broadcast", "GỬI THÔNG BÁO")
        await admin.say(TEXT, "Gửi cho ai?")
        await admin.press("Toàn Thành phố Đà Nẵng", "Gửi đến: toàn Thành phố Đà Nẵng")
        await admin.press("Xem trước", f"Số người sẽ nhận: {PEOPLE}")
        await admin.press("Gửi ngay", "Đã bắt đầu gửi thông báo #1")
        await admin.wait_for("THÔNG BÁO #1: đang gửi")
        await admin.press("Tạm dừng", "Thông báo #1: tạm dừng.")
        if on_telegram:
            await admin.wait_for("THÔNG BÁO #1: tạm dừng")  # the progress message, edited
        await admin.press("Tiếp tục", "Thông báo #1: đang gửi.")
        await admin.wait_for(f"ĐÃ GỬI XONG THÔNG BÁO #1\nĐã gửi: {PEOPLE}\n", seconds=60)

    sent = fake_telegram.sent if on_telegram else fake_zalo.sent
    for person in people:
        chat = int(chat_of(person)) if on_telegram else chat_of(person)
        got = [m for m in sent(chat) if TEXT in (m.get("text") or "")]
        assert len(got) == 1 and "Gõ /stop để ngừng nhận thông báo." in got[0]["text"]
    progress = [m for m in sent(admin.id) if "Đã xử lý" in (m.get("text") or "")]
    if on_telegram:
        assert [m["method"] for m in progress[1:]] == ["editMessageText"] * (len(progress) - 1)
        assert {m["message_id"] for m in progress} == {progress[0]["message_id"]}  # one message
        assert any("tạm dừng" in m["text"] for m in progress)
    else:
        assert len(progress) == 1  # Zalo cannot edit it, and it is not sent again
