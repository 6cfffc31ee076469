"""The audit trail at the command line: who the operator is, their changes noted, and
`python -m bot audit list`.

The command line has no user of the bot behind it, so its audit rows name the operator as
"cli:<name>": the `--as NAME` given before the command (`python -m bot --as lan unit add
...`), else the CDHT_AS environment variable, else the operating-system account that runs
it. A shared server account should therefore be used with `--as`.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime, time
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories import audit

audit_app = typer.Typer(help="The audit trail: who did what to which record.", no_args_is_help=True)

_operator: list[str] = []  # set once per command by the root callback (bot/cli/)


def set_operator(name: str | None) -> None:
    _operator[:] = [name or getpass.getuser()]


def operator() -> str:
    return f"cli:{_operator[0] if _operator else getpass.getuser()}"


async def note(session: AsyncSession, action: str, subject: str | None, **details: Any) -> None:
    """An audit row for a change made at the command line, in its transaction. Details name
    records and figures, never a person's data."""
    from storage.models import utcnow

    entry = audit.NewEntry(None, action, subject, details, actor_name=operator())
    await audit.record(session, [entry], utcnow())


@audit_app.command("list")
def audit_list(
    actor: Annotated[
        str | None, typer.Option(help="A user id, or a command-line operator's name")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="The record, as the entries name it (e.g. user:12)")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this day on (YYYY-MM-DD, Vietnam time)")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 200,
) -> None:
    """Audit entries, newest first: when, who, what, on which record, details."""
    from bot.cli.common import fail, run_action
    from handlers.actions import audit_log
    from handlers.i18n import LOCAL_TZ

    try:
        start = (
            datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time(), LOCAL_TZ)
            if since
            else None
        )
    except ValueError:
        raise fail(f"--since must be a day as YYYY-MM-DD, not {since!r}") from None

    asked = audit_log.Filters(who=actor, subject=subject, since=start)
    page = run_action(lambda work, who: audit_log.log(work, who, asked, limit=limit))
    for e in page.entries:
        when = e.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else ""
        typer.echo("\t".join([when, e.actor, e.action, e.subject or "-", details]))
