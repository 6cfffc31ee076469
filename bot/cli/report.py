"""`python -m bot report ...`: reports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.audit import note
from bot.cli.common import fail, with_database
from bot.settings import Settings
from content import load_content

report_app = typer.Typer(help="Reports.", no_args_is_help=True)


@report_app.command("annual")
def report_annual(
    year: Annotated[int, typer.Option(help="The assessed year")],
    out: Annotated[Path, typer.Option(help="The file to write: .xlsx or .csv")],
    unit: Annotated[
        str | None, typer.Option(help="Only this commune or unit (default: the province)")
    ] = None,
) -> None:
    """The annual report: a summary per unit with the plan's ratios, the recognised citizens
    and the submissions waiting for a decision."""
    from bot.documents.reports.annual import AnnualReport, UnknownScope, write_annual
    from handlers.i18n import Translator, load_catalogs
    from storage.models import utcnow

    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise fail("--out must end in .xlsx or .csv")
    settings = Settings()
    content = load_content(None, province_code=settings.province_code)
    report = AnnualReport(
        content, Translator(load_catalogs(), "vi"), year, utcnow(), settings.issuer
    )
    try:
        asyncio.run(write_annual(settings.database_url, report, unit, out))
    except UnknownScope as exc:
        raise fail(str(exc)) from None

    async def exported(session):  # it lists people by name: an export of their data
        await note(session, "report.exported", unit or "province", year=year, file=out.name)

    with_database(exported)
    typer.echo(f"written {out}")
