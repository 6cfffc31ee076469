"""`unit communes`: the province's communes and their official codes, found by name."""

from __future__ import annotations

from typing import Annotated

import typer

from content.commune import Commune


def communes(
    search: Annotated[
        str | None,
        typer.Option(help="Part of a name, accents optional; old (pre-2025) names work too"),
    ] = None,
) -> None:
    """The communes and wards of the province with their official codes (what --unit,
    --parent and --commune take)."""
    from bot.cli.common import deployment_content, fail
    from content.text import normalize

    units = deployment_content().units
    every = sorted(units.communes.values(), key=lambda c: c.code)
    key = normalize(search or "")
    # The text inside a name first, then names that sound alike or were the commune's
    # before the 2025 merger.
    found: dict[str, tuple[Commune, str | None]] = {
        c.code: (c, None) for c in every if key in normalize(c.name)
    }
    if search is not None:
        for match in units.search(search, limit=10):
            found.setdefault(match.commune.code, (match.commune, match.old_name))
    if not found:
        raise fail(f"no commune of {units.province_name} matches {search!r}", 1)
    for commune, old in found.values():
        typer.echo(f"{commune.code}\t{commune.name}" + (f"\t(was {old})" if old else ""))
