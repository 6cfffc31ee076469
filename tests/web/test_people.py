"""People: admins see the officers, invite with a code and QR, cancel invites, revoke."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.console.auth import COOKIE
from storage.models import AuditEntry, Invite, Staff, WebSession
from tests.web.conftest import World


async def test_an_officer_may_not_manage_people(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    status, page = await browser.get("/web/people")
    assert status == 403 and "dành cho quản trị viên" in page
    assert 'href="/web/people"' not in (await browser.get("/web/"))[1]
    status, _, _ = await browser.post("/web/people/invite", {"role": "officer", "scope": "20242"})
    assert status == 403


async def test_an_admin_invites_cancels_and_revokes(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.admin)
    status, page = await browser.get("/web/people")
    assert status == 200 and "Cán Bộ Hải Châu" in page and "Cán Bộ Thanh Khê" in page
    status, _, page = await browser.post(
        "/web/people/invite", {"role": "officer", "scope": "20242"}
    )
    assert status == 200
    code = re.search(r"<code>/officer ([\w-]+)</code>", page)
    assert code is not None and "<svg" in page  # the QR
    async with session_factory() as session:
        invite = await session.scalar(select(Invite))
        assert invite is not None and code.group(1) not in invite.code_hash
    status, location, _ = await browser.post(f"/web/people/invites/{invite.id}/cancel", {})
    assert (status, location) == (303, "/web/people")
    async with session_factory() as session:
        staff_id = await session.scalar(select(Staff.id).where(Staff.user_id == world.officer))
    status, location, _ = await browser.post(f"/web/people/{staff_id}/revoke", {})
    assert (status, location) == (303, "/web/people")
    _, page = await browser.get("/web/people")
    assert "Cán Bộ Hải Châu" not in page and "Không có." in page


async def test_the_revoked_officer_is_signed_out_at_once(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    client, jar = officer.client, officer.client.session.cookie_jar
    officer_session = jar.filter_cookies(client.make_url("/web/"))[COOKIE].value
    admin = await sign_in(world.admin)  # the jar now holds the admin's session

    async def as_officer() -> int:
        response = await client.get(
            "/web/", cookies={COOKIE: officer_session}, allow_redirects=False
        )
        return response.status

    async with session_factory() as session:
        staff_id = await session.scalar(select(Staff.id).where(Staff.user_id == world.officer))
    admin_cookies = jar.filter_cookies(client.make_url("/web/"))
    jar.clear()
    assert await as_officer() == 200
    jar.clear()
    jar.update_cookies(admin_cookies, client.make_url("/web/"))
    assert (await admin.post(f"/web/people/{staff_id}/revoke", {}))[0] == 303
    async with session_factory() as session:  # ended, not merely refused when next used
        assert (
            await session.scalar(select(WebSession).where(WebSession.user_id == world.officer))
            is None
        )
        revoked = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "staff.revoked")
        )
        assert revoked is not None and revoked.details == {"sessions_ended": 1, "via": "web"}
    jar.clear()
    assert await as_officer() == 303
