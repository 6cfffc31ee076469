"""The public progress page: off unless PUBLIC_STATS, figures without names when on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.console import ConsoleConfig
from bot.web.console import progress as progress_page
from bot.web.server import make_app
from content import Content
from handlers.i18n import load_catalogs
from tests.web import seed
from tests.web.conftest import Clock, World


async def test_off_by_default(client: TestClient, world: World) -> None:
    assert (await client.get("/web/progress")).status == 404


@pytest.fixture
async def public(
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> AsyncIterator[TestClient]:
    """A server with the public progress page on (PUBLIC_STATS), its cache empty."""
    progress_page._cache.clear()
    config = ConsoleConfig(
        sessions=session_factory,
        content=content,
        catalogs=load_catalogs(),
        clock=clock,
        public_stats=True,
    )
    app = make_app(session_factory, webhook_secret="s", clock=clock, console=config)
    async with TestClient(TestServer(app)) as client:
        yield client
    progress_page._cache.clear()


async def test_figures_per_commune_without_names(public: TestClient) -> None:
    response = await public.get("/web/progress")
    page = await response.text()
    assert response.status == 200
    assert "Phường Hải Châu" in page and "Phường Thanh Khê" in page
    assert "Nguyễn Thị Lan" not in page and "Võ Thị Đào" not in page
    assert page.count("<svg") == 4
    english = await (await public.get("/web/progress?lang=en")).text()
    assert '<html lang="en">' in english


async def test_the_public_progress_page_is_cached_for_minutes(
    public: TestClient,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    first = await (await public.get("/web/progress")).text()
    async with session_factory() as session, session.begin():
        await seed.citizens(session, content, [seed.Citizen("Mai Văn Tư")], 2026, clock())
    assert await (await public.get("/web/progress")).text() == first
    clock.advance(minutes=6)
    assert await (await public.get("/web/progress")).text() != first
