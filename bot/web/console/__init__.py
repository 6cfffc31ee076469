"""The association's web console: an adapter like a chat channel. A route parses the
request, calls an action (handlers/actions/) or a read model (storage/repositories/), and
renders HTML; it decides nothing itself. Served under /web by the bot's own web server, with
every asset (styles, htmx) served by the bot: no CDN, so it works on an intranet too."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path

from aiohttp import web

from bot.web.console import auth
from bot.web.console.config import CONFIG, ConsoleConfig

STATIC = Path(__file__).parent.parent / "static"

__all__ = ["ConsoleConfig", "make_console"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The pages: method, path, "module.handler" in this package, and the route's name where
# pages link to it. A page's module loads with its first request (after the middlewares
# have checked who asks): about 1 MB that a process serving the chats may never need.
PAGES: tuple[tuple[str, str, str, str | None], ...] = (
    ("GET", "/", "queue.home", "queue"),
    ("POST", "/queue/bulk", "queue.bulk", None),
    ("GET", "/case/{id}", "case.show", "case"),
    ("POST", "/case/{id}/{decision:approve|return|reject|reopen}", "case.decide", None),
    ("GET", "/case/{id}/evidence/{indicator}/{n}", "evidence.evidence", None),
    ("GET", "/people/certificates", "certificates.page", None),
    ("POST", "/people/certificates/revoke", "certificates.revoke", None),
    ("GET", "/dashboard", "dashboard.page", "dashboard"),
    ("GET", "/dashboard/report.{format:xlsx|csv}", "dashboard.download", None),
    ("GET", "/decided", "decided.page", "decided"),
    ("GET", "/people", "people.page", "people"),
    ("POST", "/people/invite", "people.invite", None),
    ("POST", "/people/{id}/revoke", "people.revoke", None),
    ("POST", "/people/{id}/sole", "people.sole", None),
    ("POST", "/people/invites/{id}/cancel", "people.cancel_invite", None),
    ("GET", "/broadcasts", "broadcasts.page", "broadcasts"),
    ("POST", "/broadcasts", "broadcasts.create", None),
    ("POST", "/broadcasts/preview", "broadcasts.preview", None),
    ("GET", "/broadcasts/{id}", "broadcasts.follow", None),
    ("GET", "/broadcasts/{id}/figures", "broadcasts.figures", None),
    ("POST", "/broadcasts/{id}/{change}", "broadcasts.change", None),
    ("GET", "/people/units", "units.page", None),
    ("POST", "/people/units", "units.add", None),
    ("POST", "/people/populations", "units.set_figures", None),
    ("POST", "/people/populations/upload", "units.upload", None),
    ("GET", "/people/audit", "audit.page", None),
    ("GET", "/progress", "progress.page", "progress"),
    ("GET", "/paper", "paper.page", "paper"),
    ("POST", "/paper/check", "paper.check", None),
    ("POST", "/paper/save", "paper.save", None),
    ("GET", "/paper/import", "paper.upload_page", None),
    ("POST", "/paper/import", "paper.upload", None),
    ("POST", "/paper/receipts", "paper.receipts", None),
)


def make_console(config: ConsoleConfig) -> web.Application:
    """The console as a sub-application, to be mounted at /web."""
    logging.getLogger("aiohttp.access").addFilter(auth.REDACT)
    app = web.Application(middlewares=[auth.security_headers, auth.signed_in])
    app[CONFIG] = config
    auth.routes(app)
    for method, path, target, name in PAGES:
        add = app.router.add_get if method == "GET" else app.router.add_post  # GET answers HEAD
        add(path, _on_first_use(target), name=name)
    app.router.add_static("/static", STATIC, append_version=True, name="static")
    return app


def _on_first_use(target: str) -> Handler:
    """The handler ``target`` ("module.function"), its module imported when first asked."""
    module, _, function = target.partition(".")

    async def handler(request: web.Request) -> web.StreamResponse:
        page: Handler = getattr(import_module(f"{__name__}.{module}"), function)
        return await page(request)

    return handler
