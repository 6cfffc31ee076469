"""`python -m bot inbox dead-letters ...`: the updates the inbox processor set aside, to
read, retry (after fixing what failed on them) or drop."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import with_database
from storage.models import InboxUpdate, utcnow
from storage.repositories import inbox

inbox_app = typer.Typer(help="Incoming updates (the inbox).", no_args_is_help=True)
dead_app = typer.Typer(
    help="Updates that could not be processed, set aside with why.", no_args_is_help=True
)
inbox_app.add_typer(dead_app, name="dead-letters")

RowId = Annotated[int, typer.Argument(help="The dead letter's id (from `list`)")]


def _line(row: InboxUpdate) -> str:
    assert row.dead_at is not None
    why = (row.dead_reason or "").splitlines()[:1]
    return (
        f"{row.id}\t{row.dead_at:%Y-%m-%d %H:%M:%S}\t{row.channel}\t{row.update_id}\t"
        f"{why[0][:120] if why else ''}"
    )


@dead_app.command("list")
def dead_list(
    limit: Annotated[int, typer.Option(help="At most this many, oldest first")] = 100,
) -> None:
    """Dead letters not yet retried or dropped: id, when (UTC), channel, update id, why."""

    async def action(session: AsyncSession) -> tuple[list[str], int]:
        rows = await inbox.dead_letters(session, limit)
        return [_line(r) for r in rows], await inbox.dead_count(session)

    lines, total = with_database(action)
    for line in lines:
        typer.echo(line)
    typer.echo(f"{total} dead letter(s)" + (f", {len(lines)} shown" if total > len(lines) else ""))


@dead_app.command("show")
def dead_show(row_id: RowId) -> None:
    """One dead letter: why, and the update as it arrived."""

    async def action(session: AsyncSession) -> tuple[str, str] | None:
        row = await inbox.dead_letter(session, row_id)
        if row is None:
            return None
        return _line(row), json.dumps(row.payload, ensure_ascii=False, indent=2)

    shown = with_database(action)
    if shown is None:
        typer.echo(f"error: no dead letter {row_id}", err=True)
        raise typer.Exit(1)
    typer.echo(shown[0])
    typer.echo(shown[1])


@dead_app.command("retry")
def dead_retry(row_id: RowId) -> None:
    """Put a dead letter back in its chat's queue (after fixing what failed on it): the
    running processor takes it next; if it fails again, it is set aside again."""

    async def action(session: AsyncSession) -> bool:
        return await inbox.retry_dead(session, row_id)

    if not with_database(action):
        typer.echo(f"error: no dead letter {row_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"dead letter {row_id} queued again")


@dead_app.command("drop")
def dead_drop(row_id: RowId) -> None:
    """Give up on a dead letter: it counts as processed and is pruned with the others."""

    async def action(session: AsyncSession) -> bool:
        return await inbox.drop_dead(session, row_id, utcnow())

    if not with_database(action):
        typer.echo(f"error: no dead letter {row_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"dead letter {row_id} dropped")
