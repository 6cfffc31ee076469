"""`python -m bot certificate ...`: Learning Citizen certificates."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.certificate_batch import batch
from bot.cli.common import deployment_content, fail, run_action, with_database
from bot.settings import Settings

certificate_app = typer.Typer(help="Learning Citizen certificates.", no_args_is_help=True)


certificate_app.command("batch")(batch)


def _certificates():
    from bot.documents.certificates import Certificates

    settings = Settings()
    return Certificates.of(settings, deployment_content(settings))


@certificate_app.command("verify")
def certificate_verify(
    code: Annotated[str, typer.Argument(help="The code printed on the certificate")],
) -> None:
    """Whether a certificate is valid (exit 0), or revoked or unknown (exit 1)."""
    certificates = _certificates()

    async def action(session):
        return await certificates.verify(session, code)

    verdict = with_database(action)
    if verdict is None:
        raise fail(f"no certificate with code {code!r}", 1)
    typer.echo(f"name: {verdict.name}")
    typer.echo(f"commune: {verdict.commune}")
    typer.echo(f"year: {verdict.year}")
    if verdict.valid:
        typer.echo("status: valid")
        return
    typer.echo(f"status: REVOKED on {verdict.revoked_on:%Y-%m-%d} ({verdict.revoke_reason})")
    raise typer.Exit(1)


@certificate_app.command("revoke")
def certificate_revoke(
    code: Annotated[str, typer.Argument(help="The code printed on the certificate")],
    reason: Annotated[str, typer.Option(help="Why; the holder is told it")],
) -> None:
    """Revoke a certificate: verification then says so, it is never sent again, reports
    leave it out, and the holder is told why."""
    from handlers.actions import Reason, Refused
    from handlers.actions import certificates as act

    done = run_action(lambda work, actor: act.revoke(work, actor, code, reason))
    if isinstance(done, Refused):
        if done.reason == Reason.NOTE_TOO_SHORT:
            raise fail("give a --reason (a few words)")
        raise fail(
            "it was revoked before"
            if done.reason == Reason.DECIDED
            else f"no certificate with code {code!r}",
            1,
        )
    typer.echo(f"certificate {done.certificate.number} revoked")


@certificate_app.command("list")
def certificate_list(
    year: Annotated[int, typer.Option(help="The assessed year")],
) -> None:
    """The year's certificates: number, code, name, commune, status."""
    from storage.repositories import certificates as repository

    certificates = _certificates()

    async def action(session):
        return [
            (
                c.number,
                repository.shown_code(c.code),
                c.full_name,
                certificates.commune_name(c.commune_code),
                "revoked" if c.revoked_at else "valid",
            )
            for c in await repository.of_year(session, year)
        ]

    for row in with_database(action):
        typer.echo("\t".join(row))
