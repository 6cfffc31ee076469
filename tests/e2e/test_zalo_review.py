"""The association's loop over Zalo Bot, where there are no buttons and no files: an officer
who joined with a code decides by typing option numbers, sees the evidence photo by its URL,
and the approved citizen gets the certificate as a download link that really downloads."""

from __future__ import annotations

import io
import re

import aiohttp
import pypdf
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from content import Content
from storage.models import Assessment, AssessmentStatus, StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import quiet_outbox, register_and_assess, running
from tests.e2e.zalo_stack import ZaloUser, queue_to
from tests.fakes import fixtures
from tests.fakes.zalo_bot import FakeZaloBot

fake_zalo = fixtures.fake_zalo
LINK = re.compile(r"Tải giấy chứng nhận \(tệp PDF\) tại: (\S+)")


pytestmark = pytest.mark.usefixtures("brisk_chats")


async def test_an_officer_on_zalo_approves_and_the_citizen_downloads_the_certificate(
    fake_zalo: FakeZaloBot, engine: AsyncEngine, content: Content
) -> None:
    async with running(None, engine, content, "poll", zalo=fake_zalo) as services:
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.OFFICER, commune_code="20242", unit_id=None, now=utcnow()
            )
        officer = ZaloUser(fake_zalo, "zl-officer", queue_to(fake_zalo))
        await officer.say(f"/officer {code}", "cán bộ xác minh của Phường Hải Châu")

        citizen = ZaloUser(fake_zalo, "zl-citizen", queue_to(fake_zalo))
        await register_and_assess(citizen, content, name="lê thị bảy", photo=True)

        await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
        await officer.press("Xem minh chứng", "Đã gửi 1 tệp minh chứng")
        [photo] = [m for m in fake_zalo.sent(officer.id) if m["method"] == "sendPhoto"]
        assert photo["photo"].startswith("https://photo.fake-zalo.test/zl-citizen/")
        assert photo["caption"] == "Chỉ số 1, minh chứng 1/1"
        await officer.press("Duyệt", "Tổng điểm: ")  # the summary to confirm
        await officer.press("Duyệt", "Đã duyệt")

        await citizen.wait_for("Tải giấy chứng nhận (tệp PDF) tại: ")
        [link] = [m[1] for t in citizen.texts() if (m := LINK.search(t))]
        async with aiohttp.ClientSession() as http, http.get(link) as response:
            status, pdf = response.status, await response.read()
        await quiet_outbox(services)
        async with services.sessions() as session:
            a = await session.scalar(select(Assessment))
    assert a.status == AssessmentStatus.APPROVED
    assert status == 200
    assert "Lê Thị Bảy" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # Nothing was said to be undeliverable: the file went as a link.
    assert not [t for t in citizen.texts() if "chưa gửi được qua Zalo" in t]
