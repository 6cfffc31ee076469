"""The association's web console: an adapter like a chat channel. A route parses the
request, calls an action (handlers/actions/) or a read model (storage/repositories/), and
renders HTML; it decides nothing itself. Served under /web by the bot's own web server, with
every asset (styles, htmx) served by the bot: no CDN, so it works on an intranet too."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.web.console import (
    audit,
    auth,
    broadcasts,
    case,
    certificates,
    dashboard,
    decided,
    evidence,
    paper,
    people,
    progress,
    queue,
    units,
)
from bot.web.console.config import CONFIG, ConsoleConfig

STATIC = Path(__file__).parent.parent / "static"

__all__ = ["ConsoleConfig", "make_console"]


def make_console(config: ConsoleConfig) -> web.Application:
    """The console as a sub-application, to be mounted at /web."""
    logging.getLogger("aiohttp.access").addFilter(auth.REDACT)
    app = web.Application(middlewares=[auth.security_headers, auth.signed_in])
    app[CONFIG] = config
    auth.routes(app)
    queue.routes(app)
    case.routes(app)
    evidence.routes(app)
    certificates.routes(app)
    dashboard.routes(app)
    decided.routes(app)
    people.routes(app)
    broadcasts.routes(app)
    units.routes(app)
    audit.routes(app)
    progress.routes(app)
    paper.routes(app)
    app.router.add_static("/static", STATIC, append_version=True, name="static")
    return app
