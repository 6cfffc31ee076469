"""`certificate batch`: a commune's or unit's certificates printed together for a ceremony."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def batch(
    unit: Annotated[str, typer.Option(help="Commune code, or a unit code from `unit list`")],
    year: Annotated[int, typer.Option(help="The assessed year")],
    out: Annotated[Path, typer.Option(help="The PDF to write")],
) -> None:
    """Every valid certificate of the year of a commune's or unit's people (as their profile
    says now) in one PDF, one page each; revoked ones are left out."""
    from bot.cli.certificate import _certificates
    from bot.cli.common import fail, with_database
    from bot.documents.reports.annual import UnknownScope, resolve

    if out.suffix.lower() != ".pdf":
        raise fail("--out must end in .pdf")
    certificates = _certificates()

    async def action(session):
        scope = await resolve(session, certificates.content, unit)
        return scope.name, *await certificates.batch(session, year, scope.filter)

    try:
        name, pdf, count = with_database(action)
    except UnknownScope as exc:
        raise fail(str(exc)) from None
    if not count:
        raise fail(f"no valid certificate of {year} in {name}", 1)
    out.write_bytes(pdf)
    typer.echo(f"{count} certificates of {name}, {year}: {out}")
