"""`python -m bot zalo-oa ...`: the Zalo Official Account's OAuth tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import fail, with_database
from bot.settings import Settings

zalo_oa_app = typer.Typer(help="Zalo Official Account set-up (OAuth tokens).", no_args_is_help=True)


def _oa_settings() -> Settings:
    settings = Settings()
    if not (settings.zalo_oa_app_id and settings.zalo_oa_app_secret):
        raise fail("ZALO_OA_APP_ID and ZALO_OA_APP_SECRET must be set", 1)
    return settings


@zalo_oa_app.command("authorize")
def zalo_oa_authorize(
    redirect_uri: Annotated[
        str, typer.Option(help="The callback URL registered in the Zalo app's settings")
    ],
) -> None:
    """Print the consent URL for the OA's admin (PKCE; the verifier is kept in the database)."""
    from bot.channels.zalo_oa_tokens import consent_url, new_verifier
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    settings = _oa_settings()
    verifier = new_verifier()

    async def action(session) -> None:
        await oa_tokens.start_consent(session, settings.zalo_oa_app_id, verifier, utcnow())

    with_database(action)
    typer.echo(
        consent_url(settings.zalo_oauth_url, settings.zalo_oa_app_id, redirect_uri, verifier)
    )
    typer.echo(
        "Open this as the OA's admin and allow access; Zalo then sends the browser to the "
        "callback URL with ?code=...: run `zalo-oa exchange CODE` within 10 minutes."
    )


@zalo_oa_app.command("exchange")
def zalo_oa_exchange(
    code: Annotated[str, typer.Argument(help="The code= of the page Zalo's consent led to")],
) -> None:
    """Exchange the consent's code for the first tokens, and store them."""
    from datetime import timedelta

    from bot.channels.zalo_oa_tokens import OAuthClient, OAuthError
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    settings = _oa_settings()
    app_id = settings.zalo_oa_app_id

    async def verifier(session):
        row = await oa_tokens.get(session, app_id)
        return row.code_verifier if row is not None else None

    code_verifier = with_database(verifier)
    if not code_verifier:
        raise fail("no consent under way: run `zalo-oa authorize` first", 1)
    oauth = OAuthClient(app_id, settings.zalo_oa_app_secret, settings.zalo_oauth_url)
    try:
        grant = asyncio.run(oauth.exchange(code, code_verifier))
    except OAuthError as exc:
        raise fail(f"Zalo refused the code: {exc}", 1) from None
    now = utcnow()
    expires_at = now + timedelta(seconds=grant.expires_in)

    async def store(session) -> None:
        await oa_tokens.store_tokens(
            session,
            app_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=expires_at,
            now=now,
        )

    with_database(store)
    typer.echo(f"tokens stored; the access token is valid until {expires_at:%Y-%m-%d %H:%M} UTC")


@zalo_oa_app.command("status")
def zalo_oa_status() -> None:
    """The OA tokens' state, as /healthz reports it (exit code 1 unless ok)."""
    from bot.channels.zalo_oa_tokens import health
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    app_id = _oa_settings().zalo_oa_app_id

    async def action(session):
        return health(await oa_tokens.get(session, app_id), utcnow())

    report = with_database(action)
    for key, value in report.items():
        typer.echo(f"{key:11} {value}")
    if report["status"] != "ok":
        raise typer.Exit(1)
