"""The public side of a deployment: a real channel does not start unless PUBLIC_URL is an
address others can open (printed certificates would point nowhere), and `serve
--verify-only` runs the verification pages and /healthz without any chat token."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.documents.certificates import public_url_problem
from bot.runtime import Runtime, conversations
from bot.services import Services, official_channels, verify_site
from bot.settings import Settings
from content import Content, load_content
from tests.e2e.telegram_stack import free_port
from tests.storage.factories import Sessions
from tests.storage.test_certificates import approved, issue


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("", "PUBLIC_URL is not set"),
        ("http://127.0.0.1:8080", "points at this machine"),
        ("http://localhost:8080/", "points at this machine"),
        ("https://bot.localhost", "points at this machine"),
        ("http://[::1]:8080", "points at this machine"),
        ("http://0.0.0.0:8080", "points at this machine"),
        ("cdht.example.vn", "not an http(s) address"),
        ("https://cdht.example.vn", None),
        ("http://203.0.113.7:8080", None),
    ],
)
def test_which_public_urls_others_can_open(url: str, refused: str | None) -> None:
    problem = public_url_problem(url)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem and "PUBLIC_URL" in problem


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **{"webhook_secret": "s", **values})  # type: ignore[arg-type]


def test_only_channels_on_the_platforms_own_servers_count_as_real() -> None:
    assert official_channels(settings(telegram_bot_token="1:a")) == ["Telegram"]
    assert official_channels(settings(zalo_bot_token="z", zalo_oa_app_id="o")) == [
        "Zalo Bot",
        "Zalo OA",
    ]
    fakes = settings(
        telegram_bot_token="1:a",
        telegram_api_url="http://127.0.0.1:9999",
        zalo_bot_token="z",
        zalo_bot_api_url="http://127.0.0.1:9998",
    )
    assert official_channels(fakes) == []


def runtime_of(content: Content, engine: AsyncEngine, values: dict[str, object]) -> Runtime:
    chosen = settings(**values)
    return Runtime(chosen, content, engine, conversations(chosen, content, engine))


@pytest.mark.parametrize("public_url", ["", "http://127.0.0.1:8080"])
async def test_a_real_channel_refuses_to_start_without_a_public_address(
    content: Content, engine: AsyncEngine, public_url: str
) -> None:
    runtime = runtime_of(content, engine, {"telegram_bot_token": "1:a", "public_url": public_url})

    with pytest.raises(SystemExit) as refused:
        Services(runtime)

    assert "PUBLIC_URL" in str(refused.value) and "Telegram" in str(refused.value)


async def test_a_real_channel_starts_with_a_public_address_and_a_fake_one_without(
    content: Content, engine: AsyncEngine
) -> None:
    for values in (
        {"telegram_bot_token": "1:a", "public_url": "https://cdht.example.vn"},
        {"telegram_bot_token": "1:a", "telegram_api_url": "http://127.0.0.1:9"},
    ):
        services = Services(runtime_of(content, engine, values))
        assert services.bot is not None
        await services.bot.close()


async def test_verify_only_serves_the_public_pages_without_any_token(
    content: Content, engine: AsyncEngine, session_factory: Sessions
) -> None:
    c = await issue(session_factory, await approved(session_factory, "Lê Thị Ánh"))
    port = free_port()
    runtime = runtime_of(content, engine, {"port": port, "webhook_secret": ""})
    assert not (runtime.settings.telegram_bot_token or runtime.settings.zalo_bot_token)
    stop = asyncio.Event()
    site = asyncio.create_task(verify_site(runtime, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{base}/healthz") as health:
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert health.status == 200
            async with http.get(f"{base}/verify/{c.code}") as page:
                assert page.status == 200 and "Lê Thị Ánh" in await page.text()
            # No chat comes in through a verification site.
            async with http.post(f"{base}/telegram/webhook", json={"update_id": 1}) as hook:
                assert hook.status == 401
    finally:
        stop.set()
        await site
