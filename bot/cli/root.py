"""The root of `python -m bot`: the app and the operator named for the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.audit import set_operator

app = typer.Typer(
    help="CDHT bot: the Learning Citizen chatbot.", no_args_is_help=True, add_completion=False
)


@app.callback()
def _operator(
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="CDHT_AS",
            help="Who runs the command, for the audit trail (default: the system account)",
        ),
    ] = None,
) -> None:
    """CDHT bot: the Learning Citizen chatbot."""
    set_operator(as_)
