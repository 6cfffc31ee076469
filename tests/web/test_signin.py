"""Signing in with the chat's one-time link, sessions, sign-out, and the headers."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.console.auth import COOKIE
from content import Content
from handlers.actions import Actor, Reason, Refused, Work, console
from handlers.i18n import load_catalogs
from storage.models import Assessment, AuditEntry, Staff, WebSession, WebSignin
from tests.web.conftest import NONCE, Browser, Clock, World, link_for


async def test_the_link_signs_in_once_and_lands_on_the_queue(
    client: TestClient,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    token = await link_for(session_factory, content, world.officer, clock())
    browser = Browser(client)
    # Opening the link (as a chat app's preview would) does not use it up.
    status, page = await browser.get(f"/web/signin/{token}")
    assert status == 200 and 'name="token"' in page
    nonce = NONCE.search(page)
    assert nonce is not None
    response = await client.post(
        "/web/signin",
        data={"token": token, "nonce": nonce.group(1)},
        allow_redirects=False,
    )
    assert (response.status, response.headers["Location"]) == (303, "/web/")
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert cookie["path"] == "/web"
    status, page = await browser.get("/web/")
    assert status == 200 and "Hàng chờ xác minh" in page and "Nguyễn Thị Lan" in page
    # The same link again, in another browser: refused.
    client.session.cookie_jar.clear()
    status, _, page = await Browser(client).open_link(token)
    assert status == 403 and "đã được dùng hoặc đã hết hạn" in page
    async with session_factory() as session:
        stored = await session.scalar(select(WebSignin.token_hash))
        assert stored is not None and token not in stored


async def test_a_link_expires_after_ten_minutes(
    client: TestClient,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    token = await link_for(session_factory, content, world.officer, clock())
    clock.advance(minutes=10, seconds=1)
    status, _, page = await Browser(client).open_link(token)
    assert status == 403 and "đã hết hạn" in page


async def test_only_staff_get_a_link(
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    async with session_factory() as session, session.begin():
        citizen = await session.scalar(
            select(Assessment.user_id).where(Assessment.id == world.mine[0])
        )
        assert citizen is not None
        work = Work(session, content, load_catalogs(), clock())
        with pytest.raises(Refused) as refused:
            await console.signin_link(work, Actor(citizen, "chat"))
        assert refused.value.reason == Reason.NOT_STAFF
    async with session_factory() as session:
        assert "console.signin_refused" in set(await session.scalars(select(AuditEntry.action)))


async def test_without_a_session_pages_redirect_and_changes_are_refused(
    client: TestClient, world: World
) -> None:
    browser = Browser(client)
    status, _ = await browser.get("/web/")
    assert status == 303
    status, _, _ = await browser.post(f"/web/case/{world.mine[0]}/reject", {"reason": "xxxxxx"})
    assert status == 403


async def test_the_session_ends_after_idle_hours_at_sign_out_and_on_revocation(
    sign_in, world: World, clock: Clock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    clock.advance(hours=7, minutes=59)
    assert (await browser.get("/web/"))[0] == 200  # activity keeps it alive
    clock.advance(hours=8, minutes=1)
    assert (await browser.get("/web/"))[0] == 303

    browser = await sign_in(world.officer)
    status, location, _ = await browser.post("/web/signout", {})
    assert (status, location) == (303, "/web/signin?out=1")
    assert (await browser.get("/web/"))[0] == 303

    browser = await sign_in(world.officer)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Staff).where(Staff.user_id == world.officer).values(revoked_at=clock())
        )
    assert (await browser.get("/web/"))[0] == 303
    async with session_factory() as session:
        assert (
            await session.scalar(select(WebSession).where(WebSession.user_id == world.officer))
            is None
        )


async def test_a_change_without_the_csrf_token_is_refused(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    status, _, _ = await browser.post("/web/language", {"lang": "en"}, csrf=False)
    assert status == 403
    status, _, _ = (
        await browser.client.post(
            "/web/language", data={"lang": "en", "csrf": "forged"}, allow_redirects=False
        ),
        None,
        None,
    )
    assert status.status == 403


async def test_security_headers_on_every_console_page(
    client: TestClient, sign_in, world: World
) -> None:
    for path in ("/web/signin", "/web/"):
        response = await client.get(path, allow_redirects=False)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_language_switches_to_english(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    status, location, _ = await browser.post("/web/language", {"lang": "en", "back": "/web/"})
    assert (status, location) == (303, "/web/")
    _, page = await browser.get("/web/")
    assert '<html lang="en">' in page


async def test_sign_in_links_never_reach_the_access_log(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from aiohttp.web_log import AccessLogger

    caplog.set_level("INFO", logger="aiohttp.access")
    logger = AccessLogger(logging.getLogger("aiohttp.access"), "%r %s")
    fake = make_mocked_request("GET", "/web/signin/SECRET-TOKEN-123")
    logger.log(fake, web.Response(), 0.01)
    assert "SECRET-TOKEN-123" not in caplog.text and "/web/signin/[…]" in caplog.text


async def test_a_sign_in_posted_from_elsewhere_is_refused_and_spends_nothing(
    client: TestClient,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    token = await link_for(session_factory, content, world.officer, clock())
    # Another site's form: no sign-in cookie (SameSite=Strict), so no matching nonce.
    forged = await client.post(
        "/web/signin", data={"token": token, "nonce": "guess"}, allow_redirects=False
    )
    assert forged.status == 403
    status, location, _ = await Browser(client).open_link(token)
    assert (status, location) == (303, "/web/")
