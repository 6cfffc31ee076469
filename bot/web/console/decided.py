"""The officer's own decisions, newest first, found by name and birth year: the chat's
"my decisions" list (`/decided`), through the same action, which decides who sees what and
notes the reading."""

from __future__ import annotations

from aiohttp import web

from bot.web.console import render
from bot.web.console.config import config, viewer, work
from handlers.actions import Refused, review
from handlers.flows.results import STATUS_TEXT
from handlers.i18n import LOCAL_TZ
from storage.models import AssessmentStatus

PAGE = 50


async def page(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    search = request.query.get("q", "")[:80]
    number = request.query.get("page", "")
    at = int(number) if number.isdigit() and len(number) < 6 else 0
    async with cfg.sessions() as db, db.begin():
        try:
            found = await review.triage(
                work(request, db),
                who.actor,
                review.Listing.MINE,
                review.Filter(search),
                limit=PAGE,
                offset=at * PAGE,
            )
        except Refused as exc:
            raise web.HTTPForbidden(text="staff only") from exc
    return render.page(
        request,
        "decided.html",
        {
            "found": found,
            "q": search,
            "at": at,
            "more": (at + 1) * PAGE < found.total,
            "commune_name": lambda code: getattr(cfg.content.units.get(code or ""), "name", ""),
            "status": lambda a: who.t._(STATUS_TEXT[AssessmentStatus(a.status)]),
            "local": lambda when: when.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") if when else "",
        },
    )
