"""`python -m bot ...` (also installed as `cdht`): one module per group of commands."""

from __future__ import annotations

import sys

from bot.cli import service  # noqa: F401  (its commands join the root app)
from bot.cli.audit import audit_app
from bot.cli.broadcast import broadcast_app
from bot.cli.certificate import certificate_app
from bot.cli.content import content_app
from bot.cli.db import db_app
from bot.cli.inbox import inbox_app
from bot.cli.officer import officer_app
from bot.cli.outbox import outbox_app
from bot.cli.paper import paper_app
from bot.cli.receipts import receipts
from bot.cli.report import report_app
from bot.cli.review import review_app
from bot.cli.root import app
from bot.cli.telegram import telegram_app
from bot.cli.unit import population_app, unit_app
from bot.cli.zalo import zalo_app
from bot.cli.zalo_oa import zalo_oa_app

app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(telegram_app, name="telegram")
app.add_typer(zalo_app, name="zalo")
app.add_typer(zalo_oa_app, name="zalo-oa")
app.add_typer(outbox_app, name="outbox")
app.add_typer(unit_app, name="unit")
app.add_typer(officer_app, name="officer")
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(certificate_app, name="certificate")
unit_app.add_typer(population_app, name="population")
app.add_typer(report_app, name="report")
app.add_typer(review_app, name="review")
app.add_typer(inbox_app, name="inbox")
app.add_typer(audit_app, name="audit")
app.add_typer(paper_app, name="paper")
paper_app.command("receipts")(receipts)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
