"""`python -m bot telegram ...`: Telegram set-up."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import fail
from bot.settings import Settings

telegram_app = typer.Typer(help="Telegram set-up.", no_args_is_help=True)


async def _with_bot(action):
    from bot.channels.telegram import make_bot

    settings = Settings()
    if not settings.telegram_bot_token:
        raise fail("TELEGRAM_BOT_TOKEN is not set", 1)
    bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
    try:
        return await action(bot, settings)
    finally:
        await bot.close()


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL ending in /telegram/webhook")],
) -> None:
    """Register the webhook with Telegram, with WEBHOOK_SECRET as its secret token."""

    async def action(bot, settings) -> None:
        if not settings.webhook_secret:
            raise fail("WEBHOOK_SECRET is not set", 1)
        await bot.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": settings.webhook_secret,
                "allowed_updates": ["message", "callback_query", "my_chat_member"],
            },
        )

    asyncio.run(_with_bot(action))
    typer.echo(f"webhook set to {url}")


@telegram_app.command("delete-webhook")
def telegram_delete_webhook() -> None:
    """Remove the webhook (needed before long polling)."""

    async def action(bot, settings) -> None:
        await bot.call("deleteWebhook")

    asyncio.run(_with_bot(action))
    typer.echo("webhook deleted")
