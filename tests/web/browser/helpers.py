"""Steps the browser tests share: signing in as the chat's link does, and axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from tests.web.conftest import Clock, link_for

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


async def sign_in_browser(
    page: Any,
    sessions: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
    user_id: int,
) -> None:
    """Open the chat's link and press the button, as an officer would."""
    token = await link_for(sessions, content, user_id, clock())
    await page.goto(f"/web/signin/{token}")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/web/")


async def serious_violations(page: Any) -> list[str]:
    """What axe-core finds serious or critical on the page as it stands."""
    await page.evaluate(AXE)
    found = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return list(found)
