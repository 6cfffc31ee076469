"""`python -m bot zalo ...`: Zalo Bot set-up."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import fail
from bot.settings import Settings

zalo_app = typer.Typer(help="Zalo Bot set-up.", no_args_is_help=True)


def _zalo(method: str, params: dict[str, str] | None = None) -> None:
    from bot.channels.zalo_bot import ZaloApiError, ZaloBotApi

    settings = Settings()
    if not settings.zalo_bot_token:
        raise fail("ZALO_BOT_TOKEN is not set", 1)

    async def call() -> None:
        api = ZaloBotApi(settings.zalo_bot_token or "", settings.zalo_bot_api_url)
        try:
            await api.call(method, params)
        finally:
            await api.close()

    try:
        asyncio.run(call())
    except ZaloApiError as exc:
        raise fail(f"Zalo refused {method}: {exc}", 1) from None


@zalo_app.command("set-webhook")
def zalo_set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL ending in /zalo/webhook")],
) -> None:
    """Register the webhook with Zalo Bot, with ZALO_WEBHOOK_SECRET as its secret token."""
    secret = Settings().zalo_webhook_secret
    if not 8 <= len(secret) <= 256:
        raise fail("ZALO_WEBHOOK_SECRET must be 8-256 characters", 1)
    _zalo("setWebhook", {"url": url, "secret_token": secret})
    typer.echo(f"webhook set to {url}")


@zalo_app.command("delete-webhook")
def zalo_delete_webhook() -> None:
    """Remove the webhook (needed before long polling)."""
    _zalo("deleteWebhook")
    typer.echo("webhook deleted")
