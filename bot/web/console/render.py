"""Pages from Jinja2 templates (bot/web/templates), autoescaped, in the viewer's language:
templates call `_()` with the Vietnamese text, like the code does, and Babel extracts them."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.console.config import VIEWER, Viewer
from handlers.i18n import LANGUAGE_NAMES, LOCALES, Translator


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LANGUAGES"] = {code: LANGUAGE_NAMES[code] for code in LOCALES}


def asset(request: web.Request, name: str) -> str:
    """A static file's URL with its content hash, so that browsers may cache it."""
    return str(request.app.router["static"].url_for(filename=name))


def page(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    t: Translator | None = None,
    status: int = 200,
) -> web.Response:
    found: Viewer | None = request.get(VIEWER)
    t = t or (found.t if found else None)
    assert t is not None
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            **context,
            "_": t._,
            "t": t,
            "lang": t.locale,
            "viewer": found,
            "path": request.path_qs,
            "asset": lambda name: asset(request, name),
        },
        status=status,
    )
