"""Pages from Jinja2 templates (bot/web/templates), autoescaped, in the viewer's language:
templates call `_()` with the Vietnamese text, like the code does, and Babel extracts them.

Jinja2 is imported with the first page, not when the process starts: `serve`, `poll` and
`run` hold the console's routes all along, but most of them never render a page."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.web.console.config import VIEWER, Viewer
from handlers.i18n import LANGUAGE_NAMES, LOCALES, Translator

if TYPE_CHECKING:
    import jinja2


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LANGUAGES"] = {code: LANGUAGE_NAMES[code] for code in LOCALES}
    return env


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
    text = (
        environment()
        .get_template(template)
        .render(
            {
                **context,
                "_": t._,
                "t": t,
                "lang": t.locale,
                "viewer": found,
                "path": request.path_qs,
                "asset": lambda name: asset(request, name),
            }
        )
    )
    return web.Response(text=text, status=status, content_type="text/html")
