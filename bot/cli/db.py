"""`python -m bot db ...`: the database schema."""

from __future__ import annotations

import typer

from bot.settings import Settings

db_app = typer.Typer(help="Database commands.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database to the latest schema."""
    from storage.migrate import upgrade

    upgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")
