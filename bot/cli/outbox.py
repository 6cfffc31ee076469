"""`python -m bot outbox ...`: the outgoing message queue."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import with_database

outbox_app = typer.Typer(help="Outgoing message queue.", no_args_is_help=True)


@outbox_app.command("status")
def outbox_status() -> None:
    """Messages by state and the age of the oldest one waiting."""
    from storage.models import utcnow
    from storage.repositories import outbox

    async def action(session):
        return (
            await outbox.status_counts(session),
            await outbox.oldest_pending_age(session, utcnow()),
        )

    counts, age = with_database(action)
    for state in sorted(counts):
        typer.echo(f"{state:10} {counts[state]}")
    typer.echo(f"oldest pending: {f'{age.total_seconds():.0f} s' if age else 'none'}")


@outbox_app.command("retry-dead")
def outbox_retry_dead(
    channel: Annotated[str | None, typer.Option(help="Only this channel")] = None,
) -> None:
    """Queue dead messages again (after fixing what killed them)."""
    from storage.repositories import outbox

    async def action(session):
        return await outbox.requeue_dead(session, channel)

    typer.echo(f"requeued {with_database(action)} messages")
