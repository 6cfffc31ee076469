"""Zalo OA tokens: consent and exchange, one refresher among many processes, and a lost
refresh that /healthz and the log report rather than failing silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientSession
from typer.testing import CliRunner

from bot.channels import zalo_oa_tokens
from bot.channels.zalo_oa_tokens import OAuthClient, OAuthError, TokenKeeper
from bot.cli import app
from bot.web.server import HealthRules, make_app
from storage.repositories import oa_tokens
from tests.bot.test_zalo_oa import store_grant
from tests.e2e.telegram_stack import free_port
from tests.fakes import fixtures
from tests.fakes.zalo_oa import OAUTH, FakeZaloOA
from tests.storage.factories import Sessions

fake_zalo_oa = fixtures.fake_zalo_oa


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def keeper(sessions: Sessions, fake: FakeZaloOA, clock: Clock, timeout: float = 5) -> TokenKeeper:
    oauth = OAuthClient(fake.app_id, fake.app_secret, fake.base_url, timeout=timeout)
    return TokenKeeper(sessions, oauth, clock=clock)


async def stored(sessions: Sessions, fake: FakeZaloOA):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await oa_tokens.get(session, fake.app_id)


async def test_consent_with_pkce_and_exchange(fake_zalo_oa: FakeZaloOA) -> None:
    verifier = zalo_oa_tokens.new_verifier()
    assert 43 <= len(verifier) <= 128
    url = zalo_oa_tokens.consent_url(
        fake_zalo_oa.base_url, fake_zalo_oa.app_id, "https://cdht.example.vn/cb", verifier
    )
    assert url.startswith(f"{fake_zalo_oa.base_url}/v4/oa/permission?")
    query = parse_qs(urlsplit(url).query)
    assert query["app_id"] == [fake_zalo_oa.app_id]
    assert query["redirect_uri"] == ["https://cdht.example.vn/cb"]
    oauth = OAuthClient(fake_zalo_oa.app_id, fake_zalo_oa.app_secret, fake_zalo_oa.base_url)
    with pytest.raises(OAuthError, match="-14005"):  # a verifier that is not the consent's
        await oauth.exchange(fake_zalo_oa.consent(query["code_challenge"][0]), "other-verifier")
    grant = await oauth.exchange(fake_zalo_oa.consent(query["code_challenge"][0]), verifier)
    assert grant.access_token in fake_zalo_oa.access_tokens
    assert grant.refresh_token in fake_zalo_oa.refresh_tokens
    assert grant.expires_in == fake_zalo_oa.expires_in


async def test_two_processes_due_together_refresh_once(
    session_factory: Sessions, fake_zalo_oa: FakeZaloOA
) -> None:
    await store_grant(session_factory, fake_zalo_oa, hours=0.1)  # 6 minutes: due
    clock = Clock()
    first, second = (
        keeper(session_factory, fake_zalo_oa, clock),
        keeper(session_factory, fake_zalo_oa, clock),
    )
    old = await first.current()
    # Slow answers, so that both are at it together however the machine schedules them.
    fake_zalo_oa.delay_next(OAUTH, 0.2, times=2)
    done = await asyncio.gather(first.refresh_if_due(), second.refresh_if_due())
    assert sorted(done) == [False, True] and fake_zalo_oa.refresh_calls == 1
    row = await stored(session_factory, fake_zalo_oa)
    assert row.version == old.version + 1 and row.refresh_token in fake_zalo_oa.refresh_tokens
    assert row.expires_at > clock.now + timedelta(hours=24)
    # Both processes now send with the new token (the first's cache was near expiry).
    assert (await first.current()).value == (await second.current()).value == row.access_token
    assert not await first.refresh_if_due()  # not due any more


async def test_the_refresher_runs_ahead_of_expiry(
    session_factory: Sessions, fake_zalo_oa: FakeZaloOA
) -> None:
    await store_grant(session_factory, fake_zalo_oa, hours=0.1)
    tokens = TokenKeeper(
        session_factory,
        OAuthClient(fake_zalo_oa.app_id, fake_zalo_oa.app_secret, fake_zalo_oa.base_url),
        interval=0.05,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(tokens.run(stop))
    async with asyncio.timeout(30):
        while (
            fake_zalo_oa.refresh_calls == 0
            or (await stored(session_factory, fake_zalo_oa)).version < 2
        ):
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert fake_zalo_oa.refresh_calls == 1


@pytest.fixture
async def healthz(session_factory: Sessions, fake_zalo_oa: FakeZaloOA) -> AsyncIterator[str]:
    from aiohttp import web

    runner = web.AppRunner(
        make_app(
            session_factory,
            webhook_secret="unused-secret",
            zalo_oa=(fake_zalo_oa.app_id, fake_zalo_oa.secret_key),
            health_rules=HealthRules(token="health-TOKEN"),
        )
    )
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/healthz"
    finally:
        await runner.cleanup()


async def health(url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    async with (
        ClientSession() as client,
        client.get(url, params={"token": "health-TOKEN"}) as response,
    ):
        return response.status, (await response.json())["zalo_oa_token"]


async def test_a_lost_refresh_answer_is_reported_until_a_new_consent(
    session_factory: Sessions,
    fake_zalo_oa: FakeZaloOA,
    healthz: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, report = await health(healthz)
    assert (status, report["status"]) == (503, "not_authorized")
    await store_grant(session_factory, fake_zalo_oa, hours=0.1)
    assert (await health(healthz))[0] == 200
    clock = Clock()
    tokens = keeper(session_factory, fake_zalo_oa, clock, timeout=0.5)
    fake_zalo_oa.lose_next_refresh()  # Zalo rotates the tokens, the answer never arrives
    with caplog.at_level(logging.ERROR, logger="bot.channels.zalo_oa_tokens"):
        assert not await tokens.refresh_if_due()
    assert "got no answer" in caplog.text and "zalo-oa authorize" in caplog.text
    status, report = await health(healthz)
    assert (status, report["status"]) == (503, "refresh_failed")
    assert "answer lost" in report["error"] and "zalo-oa authorize" in report["action"]
    # The retry, once its time comes, offers the used-up refresh token: refused.
    caplog.clear()
    assert not await tokens.refresh_if_due()  # not yet
    clock.now += zalo_oa_tokens.RETRY_LOST
    with caplog.at_level(logging.ERROR, logger="bot.channels.zalo_oa_tokens"):
        assert not await tokens.refresh_if_due()
    assert fake_zalo_oa.refresh_calls == 2 and "refresh refused" in caplog.text
    status, report = await health(healthz)
    assert (status, report["status"]) == (503, "refresh_failed")
    assert "-14014" in report["error"]
    # A new consent puts it right.
    await store_grant(session_factory, fake_zalo_oa)
    status, report = await health(healthz)
    assert (status, report["status"], "error" in report) == (200, "ok", False)


async def test_cli_authorize_exchange_and_status(
    fake_zalo_oa: FakeZaloOA, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATABASE_URL": db_url,
        "ZALO_OA_APP_ID": fake_zalo_oa.app_id,
        "ZALO_OA_APP_SECRET": fake_zalo_oa.app_secret,
        "ZALO_OAUTH_URL": fake_zalo_oa.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    async def cli(*args: str):  # type: ignore[no-untyped-def]
        # The CLI runs its own event loop; the fake answers from this one meanwhile.
        return await asyncio.to_thread(runner.invoke, app, ["zalo-oa", *args])

    result = await cli("status")
    assert result.exit_code == 1 and "not_authorized" in result.output
    result = await cli("exchange", "code-x")
    assert result.exit_code == 1 and "authorize" in result.output
    result = await cli("authorize", "--redirect-uri", "https://cdht.example.vn/cb")
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if line.startswith("http"))
    code = fake_zalo_oa.consent(parse_qs(urlsplit(url).query)["code_challenge"][0])
    result = await cli("exchange", code)
    assert result.exit_code == 0 and "tokens stored" in result.output, result.output
    result = await cli("status")
    assert result.exit_code == 0 and "ok" in result.output
