"""A photo a citizen sent on Telegram, shown in the case page as a thumbnail that the
browser really draws (fetched by the bot from the fake Telegram), opening full size."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from tests.fakes.fixtures import fake_telegram, fake_zalo_oa, telegram_bot  # noqa: F401
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_oa import FakeZaloOA
from tests.web.browser.helpers import sign_in_browser
from tests.web.conftest import Clock, World
from tests.web.test_evidence import jpeg, readers, sent_on_apps  # noqa: F401


async def test_a_telegram_photo_is_drawn_as_a_thumbnail_and_opens_full_size(
    page: Any,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
    fake_telegram: FakeTelegram,  # noqa: F811
    fake_zalo_oa: FakeZaloOA,  # noqa: F811
) -> None:
    anh = world.mine[1]
    await sent_on_apps(session_factory, fake_telegram, fake_zalo_oa, anh, jpeg())
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    await page.goto(f"/web/case/{anh}")
    thumbnail = page.locator(f"img[src='/web/case/{anh}/evidence/I1/0']")
    await thumbnail.scroll_into_view_if_needed()  # drawn lazily, once in view
    await expect(thumbnail).to_have_js_property("naturalWidth", 120)  # decoded
    box = await thumbnail.bounding_box()
    assert box is not None and box["width"] >= 64
    await thumbnail.click()
    await page.wait_for_url(f"**/web/case/{anh}/evidence/I1/0")
    assert await page.evaluate("document.contentType") == "image/jpeg"
