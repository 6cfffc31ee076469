"""The pages the other browser tests do not open at a phone's width, and a decision taken
with the keyboard alone: every page fits 360 px without sideways scrolling and has no
serious accessibility violations; an officer opens a case and approves it with Tab and
Enter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Assessment, AssessmentStatus
from tests.web.browser.helpers import serious_violations, sign_in_browser
from tests.web.conftest import Clock, World

PAGES = (
    "/web/decided",
    "/web/people",
    "/web/people/units",
    "/web/people/audit",
    "/web/people/certificates",
    "/web/paper",
    "/web/paper/import",
    "/web/broadcasts",
)


async def test_every_other_page_on_a_phone_360_pixels_wide(
    page: Any,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in_browser(page, session_factory, content, clock, world.admin)
    for path in PAGES:
        response = await page.goto(path)
        assert response.status == 200, path
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
        assert await serious_violations(page) == [], path
    assert page.errors == []


async def _tab_to(page: Any, name: str) -> None:
    """Press Tab until the focused element is the one named, as a keyboard user would."""
    for _ in range(80):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "(document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


async def test_a_case_decided_with_the_keyboard_alone(
    page: Any,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    await _tab_to(page, "Nguyễn Thị Lan")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/web/case/{world.mine[0]}")
    await _tab_to(page, "Duyệt")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**?done=approved")
    async with session_factory() as session:
        status = await session.scalar(
            select(Assessment.status).where(Assessment.id == world.mine[0])
        )
    assert status == AssessmentStatus.APPROVED
