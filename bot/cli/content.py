"""`python -m bot content check` and `score`: the content, checked and tried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import deployment_content, fail
from bot.cli.root import app
from bot.settings import Settings
from content import check_content
from content.scoring import score as score_points

content_app = typer.Typer(
    help="Content (criteria, resources, units) commands.", no_args_is_help=True
)


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

    content = deployment_content()
    try:
        criteria = content.criteria_for(group, year or date.today().year)
    except KeyError:
        known = ", ".join(g.id for g in content.groups(year or date.today().year))
        raise fail(f"unknown group {group!r} (known: {known})") from None
    try:
        values = [int(p) for p in points.split(",")]
    except ValueError:
        raise fail(f"points must be whole numbers, got {points!r}") from None
    if len(values) != len(criteria.indicators):
        raise fail(f"expected {len(criteria.indicators)} points, got {len(values)}")
    for indicator, value in zip(criteria.indicators, values, strict=True):
        if not 0 <= value <= indicator.max_points:
            raise fail(
                f"indicator {indicator.number}: {value} is outside 0..{indicator.max_points}"
            )
    if commune is not None:
        if content.units.get(commune) is None:
            raise fail(f"unknown commune code {commune!r} in {content.units.province_name}")
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
