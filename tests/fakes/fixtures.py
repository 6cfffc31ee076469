"""Pytest fixtures for the fake platforms. Import them where needed, e.g. in a conftest::

from tests.fakes.fixtures import fake_telegram, telegram_bot  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.telegram_api import BotApi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA


class PlainHttpSession(AiohttpSession):
    """aiogram's session without the 250 ms it sleeps on close to let TLS connections shut
    down: there are none on 127.0.0.1, and the sleeps add up over a test suite."""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def aiogram_for(fake: FakeTelegram, *, token: str | None = None, timeout: float = 60) -> Bot:
    """The real aiogram client, talking HTTP to the fake: the fake's own tests hold it to
    what a widely used client expects."""
    api = TelegramAPIServer.from_base(fake.base_url)
    return Bot(token or fake.token, session=PlainHttpSession(api=api, timeout=timeout))


def bot_for(fake: FakeTelegram, *, token: str | None = None, timeout: float = 60) -> BotApi:
    """The bot's own client, talking HTTP to the fake (with its token unless told)."""
    return BotApi(token or fake.token, fake.base_url, timeout)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def telegram_bot(fake_telegram: FakeTelegram) -> AsyncIterator[BotApi]:
    bot = bot_for(fake_telegram)
    yield bot
    await bot.close()


@pytest.fixture
async def aiogram_bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = aiogram_for(fake_telegram)
    yield bot
    await bot.session.close()


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
async def fake_zalo_oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake
