"""`python -m bot ...` (also installed as `cdht`)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings
from content import ContentError, check_content, load_content
from content.scoring import score as score_points

app = typer.Typer(
    help="CDHT bot: the Learning Citizen chatbot.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
content_app = typer.Typer(
    help="Content (criteria, resources, units) commands.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _runtime():
    from bot.runtime import build

    try:
        return build()
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command()
def run() -> None:
    """Start the bot on the default channel (the local console)."""
    chat(as_=getpass.getuser())


@app.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="Play this user (one name per person)")] = "me",
) -> None:
    """Chat with the bot in this terminal (or pipe a script in, one message per line)."""
    from bot.channels.console import ConsoleChannel

    async def main() -> None:
        runtime = _runtime()
        try:
            await ConsoleChannel(runtime.engine, as_).run()
        finally:
            await runtime.close()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database to the latest schema."""
    from storage.migrate import upgrade

    upgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@content_app.command("check")
def content_check(
    path: Annotated[Path | None, typer.Argument(help="Content folder (default: built-in)")] = None,
) -> None:
    """Validate criteria, rules, units, resources and targets; list every problem."""
    issues = check_content(path, province_code=Settings().province_code)
    for issue in issues:
        typer.echo(str(issue), err=True)
    if issues:
        raise typer.Exit(1)
    typer.echo("content OK")


@app.command()
def score(
    group: Annotated[str, typer.Option(help="Target group id, e.g. residents")],
    points: Annotated[str, typer.Option(help="Ten comma-separated points, indicator 1 to 10")],
    commune: Annotated[str | None, typer.Option(help="Official commune code")] = None,
    disadvantaged: Annotated[bool, typer.Option(help="Apply the disadvantaged-area rule")] = False,
    year: Annotated[int | None, typer.Option(help="Assessment year (default: this year)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Score a paper form against the official pass rules."""
    from datetime import date

    settings = Settings()
    try:
        content = load_content(None, province_code=settings.province_code)
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    try:
        criteria = content.criteria_for(group, year or date.today().year)
    except KeyError:
        known = ", ".join(g.id for g in content.groups(year or date.today().year))
        raise _fail(f"unknown group {group!r} (known: {known})") from None
    try:
        values = [int(p) for p in points.split(",")]
    except ValueError:
        raise _fail(f"points must be whole numbers, got {points!r}") from None
    if len(values) != len(criteria.indicators):
        raise _fail(f"expected {len(criteria.indicators)} points, got {len(values)}")
    for indicator, value in zip(criteria.indicators, values, strict=True):
        if not 0 <= value <= indicator.max_points:
            raise _fail(
                f"indicator {indicator.number}: {value} is outside 0..{indicator.max_points}"
            )
    if commune is not None:
        if content.units.get(commune) is None:
            raise _fail(f"unknown commune code {commune!r} in {content.units.province_name}")
        disadvantaged = disadvantaged or content.units.is_disadvantaged(commune)
    result = score_points(
        criteria, {i.id: v for i, v in zip(criteria.indicators, values, strict=True)}, disadvantaged
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "total": result.total,
                    "threshold": result.threshold,
                    "passed": result.passed,
                    "failed_rules": list(result.failed_rules),
                }
            )
        )
    else:
        verdict = "PASS" if result.passed else "FAIL (" + ", ".join(result.failed_rules) + ")"
        typer.echo(f"total {result.total}, threshold {result.threshold}: {verdict}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
