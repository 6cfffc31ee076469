"""Broadcasts in Chromium: an officer composes, sees the count follow the segment and the
message as citizens will read it, sends, then pauses and resumes from the progress page;
on a phone's width too, with no serious accessibility violations."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Broadcast
from tests.web.browser.helpers import serious_violations, sign_in_browser
from tests.web.conftest import Clock, World


async def overflow(page: Any) -> int:
    return await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


async def test_compose_count_send_pause_and_resume_on_a_phone(
    page: Any,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    await page.get_by_role("link", name="Thông báo").click()
    await page.wait_for_url("**/web/broadcasts")
    count = page.locator("#count")
    await expect(count).to_have_text("5")  # everyone of their commune, staff included
    assert await overflow(page) <= 0
    assert await serious_violations(page) == []

    await page.get_by_label("Nội dung").fill("Họp chi hội thứ Bảy, 19 giờ.")
    await expect(page.locator(".bubble")).to_contain_text("Gõ /stop để ngừng nhận thông báo.")
    await page.get_by_label("Nhóm đối tượng").select_option("workers")
    await expect(count).to_have_text("1")  # asked again, no reload
    await page.get_by_label("Nhóm đối tượng").select_option("")
    await expect(count).to_have_text("5")
    await page.get_by_role("button", name="Gửi thông báo").click()

    await page.wait_for_url("**/web/broadcasts/*")
    await expect(page.locator("#state")).to_have_text("chờ đến giờ gửi")
    assert await overflow(page) <= 0
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Tạm dừng").click()
    await expect(page.locator("#state")).to_have_text("tạm dừng")
    await page.get_by_role("button", name="Tiếp tục").click()
    await expect(page.locator("#state")).to_have_text("chờ đến giờ gửi")
    async with session_factory() as session:
        b = await session.scalar(select(Broadcast))
        assert b is not None and b.status == "scheduled" and b.text.startswith("Họp chi hội")
    await page.get_by_role("link", name="← Các thông báo").click()
    await expect(page.locator("table.queue tbody tr")).to_have_count(1)
    assert page.errors == []
