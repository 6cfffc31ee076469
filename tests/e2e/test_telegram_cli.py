"""`python -m bot telegram set-webhook / delete-webhook` against the fake Bot API."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram


async def test_set_and_delete_webhook(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_telegram.token)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_telegram.base_url)
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-token")
    runner = CliRunner()
    url = "https://bot.example.vn/telegram/webhook"
    # The CLI runs its own event loop; the fake answers from this one meanwhile.
    result = await asyncio.to_thread(runner.invoke, app, ["telegram", "set-webhook", url])
    assert result.exit_code == 0, result.output
    assert (fake_telegram.webhook.url, fake_telegram.webhook.secret_token) == (url, "s3cret-token")
    result = await asyncio.to_thread(runner.invoke, app, ["telegram", "delete-webhook"])
    assert result.exit_code == 0 and not fake_telegram.webhook.url


async def test_set_webhook_refuses_without_a_secret(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_telegram.token)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_telegram.base_url)
    monkeypatch.setenv("WEBHOOK_SECRET", "")
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["telegram", "set-webhook", "https://x.vn/telegram/webhook"]
    )
    assert result.exit_code == 1 and "WEBHOOK_SECRET" in result.output
    assert not fake_telegram.webhook.url
