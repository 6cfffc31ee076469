"""A broadcast from a Zalo Bot chat, where messages cannot be edited: the admin writes and
confirms by typing option numbers, the progress message comes once (not a stream of new
messages), a pause and a resume are typed as its option numbers, the final figures follow,
and every citizen on Zalo gets the broadcast once."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pushes import PushRules
from content import Content
from storage.models import StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import running
from tests.e2e.zalo_stack import ZaloUser, queue_to
from tests.fakes import fixtures
from tests.fakes.zalo_bot import FakeZaloBot
from tests.storage.factories import chat_of, create_person

fake_zalo = fixtures.fake_zalo
PEOPLE = 200
RATE = 20  # sending takes PEOPLE / RATE = 10 s: the presses land while it is under way
TEXT = "Mời bà con dự lớp kỹ năng số sáng Chủ nhật"


pytestmark = pytest.mark.usefixtures("brisk_chats")


async def test_an_admin_on_zalo_broadcasts_pauses_and_resumes(
    fake_zalo: FakeZaloBot, engine: AsyncEngine, content: Content
) -> None:
    async with running(None, engine, content, "poll", zalo=fake_zalo, global_rate=RATE) as services:
        services.broadcasts.rules = PushRules(quiet_from=time(0), quiet_until=time(0))
        services.broadcasts.progress_every = timedelta(seconds=0.2)
        people = [await create_person(services.sessions, channel="zalo_bot") for _ in range(PEOPLE)]
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=utcnow()
            )
        admin = ZaloUser(fake_zalo, "zl-admin", queue_to(fake_zalo))
        await admin.say(f"/officer {code}", "quản trị viên")

        await admin.say("/broadcast", "GỬI THÔNG BÁO")
        await admin.say(TEXT, "Gửi cho ai?")
        await admin.press("Toàn Thành phố Đà Nẵng", "Gửi đến: toàn Thành phố Đà Nẵng")
        await admin.press("Xem trước", f"Số người sẽ nhận: {PEOPLE}")
        await admin.press("Gửi ngay", "Đã bắt đầu gửi thông báo #1")
        await admin.wait_for("THÔNG BÁO #1: đang gửi")
        await admin.press("Tạm dừng", "Thông báo #1: tạm dừng.")
        await admin.press("Tiếp tục", "Thông báo #1: đang gửi.")
        await admin.wait_for(f"ĐÃ GỬI XONG THÔNG BÁO #1\nĐã gửi: {PEOPLE}\n", seconds=60)

    for person in people:
        got = [t for t in map(_text, fake_zalo.sent(chat_of(person))) if TEXT in t]
        assert len(got) == 1 and "Gõ /stop để ngừng nhận thông báo." in got[0]
    progress = [t for t in admin.texts() if t.startswith("THÔNG BÁO #1:")]
    assert len(progress) == 1  # sent once: Zalo cannot edit it, and it is not re-sent


def _text(message: dict) -> str:
    return message.get("text") or ""
