"""`paper receipts`: the claim receipts of a unit or commune printed
(bot/documents/receipts_pdf.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def receipts(
    out: Annotated[Path, typer.Option(help="The PDF to write")],
    unit: Annotated[str, typer.Option(help="A unit's code, from `unit list`")] = "",
    commune: Annotated[
        str, typer.Option(help="A commune's code instead: all its units' people")
    ] = "",
) -> None:
    """Print claim receipts for a unit's (or a whole commune's) people with no chat of their
    own (paper forms, assisted entry). Printing issues FRESH codes: the codes of earlier
    receipts of these people stop working, so hand out only the newest slips."""
    from bot.cli.common import fail, run_action
    from bot.documents.document_links import link_code_key
    from bot.documents.receipts_pdf import receipts_pdf
    from bot.settings import Settings
    from handlers.actions import Refused, claims

    if bool(unit) == bool(commune):
        raise fail("give either --unit or --commune")
    if out.suffix.lower() != ".pdf":
        raise fail("--out must end in .pdf")
    settings = Settings()
    key = link_code_key(settings)
    code = unit or commune
    done = run_action(lambda work, actor: claims.receipts(work, actor, code, key=key))
    if isinstance(done, Refused):
        raise fail(f"unknown unit or commune {code!r} (see `unit list`)")
    if not done.slips:
        raise fail(f"nobody in {done.name} is waiting for a receipt", 1)
    out.write_bytes(receipts_pdf(done, settings.telegram_bot_username))
    typer.echo(f"{len(done.slips)} receipts of {done.name}: {out}")
