"""The public progress page: off unless PUBLIC_STATS, figures without names when on."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.console import ConsoleConfig
from bot.web.console import progress as progress_page
from bot.web.server import make_app
from content import Content
from handlers.i18n import load_catalogs
from tests.web.conftest import Clock, World


async def test_off_by_default(client: TestClient, world: World) -> None:
    assert (await client.get("/web/progress")).status == 404


async def test_figures_per_commune_without_names(
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
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
        response = await client.get("/web/progress")
        page = await response.text()
        assert response.status == 200
        assert "Phường Hải Châu" in page and "Phường Thanh Khê" in page
        assert "Nguyễn Thị Lan" not in page and "Võ Thị Đào" not in page
        assert page.count("<svg") == 4
        english = await (await client.get("/web/progress?lang=en")).text()
        assert '<html lang="en">' in english
    progress_page._cache.clear()
