"""The public progress page (`PUBLIC_STATS=true`): the province's figures per commune
against the plan's targets, no names, as a U-Report dashboard shows a province. Computed at
most every few minutes, whoever asks: the page is open to anyone."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from bot.documents.reports.annual import AnnualReport, resolve
from bot.web.console import render
from bot.web.console.config import config
from bot.web.console.dashboard import charts_for
from handlers.context import Context
from handlers.i18n import Translator

CACHE_FOR = timedelta(minutes=5)
_cache: dict[tuple[int, str], tuple[datetime, str]] = {}


async def page(request: web.Request) -> web.Response:
    cfg = config(request)
    if not cfg.public_stats:
        raise web.HTTPNotFound(text="not found")
    now = cfg.clock()
    t = Translator(cfg.catalogs, request.query.get("lang", "vi"))
    year = Context.year_of(now)
    key = (year, t.locale)
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return web.Response(text=cached[1], content_type="text/html")
    report = AnnualReport(cfg.content, t, year, now, cfg.association)
    async with cfg.sessions() as db:
        scope = await resolve(db, cfg.content, None)
        places = await report.places(db, scope)
    province = cfg.content.targets.provinces.get(cfg.content.units.province_code)
    milestone = province.milestone(year) if province else None
    context = {
        "year": year,
        "province_name": scope.name,
        "communes": [p for p in places if p.level == 1 and p.total.registered],
        "charts": charts_for(t, places, scope, milestone[1] if milestone else None),
    }
    response = render.page(request, "progress.html", context, t=t)
    assert response.text is not None
    _cache[key] = (now + CACHE_FOR, response.text)
    return response
