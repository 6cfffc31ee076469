"""`python -m bot unit ...`: units under communes and their population figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import deployment_content, fail, run_action
from bot.cli.communes import communes

unit_app = typer.Typer(
    help="Units under communes (villages, agencies, enterprises, schools).", no_args_is_help=True
)


population_app = typer.Typer(
    help="Figures for the plan's ratios: adults in learning families and communities, staff in "
    "learning units. Set one unit's with the options, or import a CSV.",
    invoke_without_command=True,
)


unit_app.command("communes")(communes)


@unit_app.command("add")
def unit_add(
    parent: Annotated[str, typer.Option(help="Official code of the commune it belongs to")],
    name: Annotated[str, typer.Option(help="Its name, e.g. 'Thôn Phú Sơn'")],
    kind: Annotated[
        str, typer.Option(help="village, agency, enterprise, school (content/units/routing.yaml)")
    ],
) -> None:
    """Create a unit under a commune; prints its code (for `officer invite --unit`)."""
    from handlers.actions import Reason, Refused, units

    done = run_action(
        lambda work, actor: units.add(work, actor, commune=parent, name=name, kind=kind)
    )
    if isinstance(done, Refused):
        clean = " ".join(name.split())
        raise fail(
            {
                Reason.BAD_KIND: "kind must be one of "
                + ", ".join(deployment_content().routing.kinds),
                Reason.NO_NAME: "the name is empty",
                Reason.TAKEN: f"{parent} already has a unit named {clean!r}",
            }.get(
                done.reason,
                f"unknown commune code {parent!r} in {deployment_content().units.province_name}",
            )
        )
    commune = deployment_content().units.get(parent)
    assert commune is not None
    typer.echo(f"{done.code}\t{done.name} ({done.kind}), {commune.name}")


@unit_app.command("list")
def unit_list(
    parent: Annotated[str | None, typer.Option(help="Only this commune's units")] = None,
) -> None:
    """Units with their codes."""
    from handlers.actions import units

    for unit in run_action(units.listed):
        if parent is None or unit.commune_code == parent:
            typer.echo(f"{unit.code}\t{unit.name} ({unit.kind})")


def _bad_figures(bad, path: str | None = None) -> typer.Exit:
    """A refused figure or CSV line, said in English with the file and line."""
    from handlers.i18n import Translator, load_catalogs

    where = f"{path}:{bad.line}: " if path and bad.line else ""
    return fail(where + bad.say(Translator(load_catalogs(), "en")))


@population_app.callback()
def unit_population(
    context: typer.Context,
    unit: Annotated[str | None, typer.Option(help="Commune code or unit code")] = None,
    year: Annotated[int | None, typer.Option(help="The year the figures are for")] = None,
    adults: Annotated[
        int | None, typer.Option(help="Adults in learning families, clans and communities")
    ] = None,
    staff_: Annotated[
        int | None, typer.Option("--staff", help="Officials and employees in learning units")
    ] = None,
) -> None:
    """Set a commune's or unit's figures for a year (only those given change)."""
    from handlers.actions import populations

    if context.invoked_subcommand is not None:
        return
    if unit is None or year is None or (adults is None and staff_ is None):
        raise fail("give --unit, --year and --adults and/or --staff (or: population import FILE)")
    try:
        figures = run_action(
            lambda work, actor: populations.set_figures(
                work, actor, unit, year, adults=adults, staff=staff_
            )
        )
    except populations.BadFigures as bad:
        raise _bad_figures(bad) from None
    typer.echo(f"{unit} {year}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


@population_app.command("import")
def unit_population_import(
    path: Annotated[Path, typer.Argument(help="CSV with the header unit_code,year,adults,staff")],
) -> None:
    """Create or update many units' figures from a CSV; any bad line changes nothing."""
    from handlers.actions import populations

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read: {exc}") from None
    try:
        count = run_action(
            lambda work, actor: populations.import_csv(work, actor, text, source=path.name)
        )
    except populations.BadFigures as bad:
        raise _bad_figures(bad, str(path)) from None
    typer.echo(f"imported {count} rows")
