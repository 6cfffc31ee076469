"""`/web` in the chat: staff get a one-time sign-in link to the console, others nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handlers.actions import Refused, Work, console
from handlers.engine import Engine
from storage.models import StaffRole, WebSignin
from tests.handlers.conftest import Chat, Clock, register
from tests.handlers.test_notices import join


async def test_an_officer_gets_a_one_time_link(bot_engine: Engine, clock: Clock) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("web")
    found = re.search(r"http://127\.0\.0\.1:8080/web/signin/(\S+)", officer.text)
    assert found is not None and "10 phút" in officer.text
    async with bot_engine.sessions() as session, session.begin():
        signin = await session.scalar(select(WebSignin))
        assert signin is not None and signin.expires_at == clock() + console.SIGNIN_LIFETIME
        work = Work(session, bot_engine.content, bot_engine.catalogs, clock())
        actor = await console.sign_in(work, found.group(1))
        assert actor.user_id == signin.user_id and actor.via == "web"
        with pytest.raises(Refused):  # once only
            await console.sign_in(work, found.group(1))


async def test_a_citizen_is_refused(chat: Chat, bot_engine: Engine) -> None:
    await register(chat)
    await chat.command("web")
    assert "dành cho cán bộ" in chat.text
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(WebSignin)) is None


async def test_the_officers_queue_screen_leads_to_the_console(bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("pending")
    assert "Mở trang quản lý trên web" in [b.label for b in officer.buttons]
    await officer.press("Mở trang quản lý trên web")
    assert "/web/signin/" in officer.text
