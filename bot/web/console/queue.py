"""The review queue, the console's home page: submissions in the viewer's scope, filtered,
searched and sorted, a page at a time, with the counts per state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.web.console import render
from bot.web.console.config import Viewer, config, viewer
from bot.web.console.places import Places, places
from handlers.context import Context
from storage.repositories import console_queue
from storage.repositories.console_queue import SORTS, STATES, Filters

PAGE = 50


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _number(value: str | None, low: int, high: int) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


def filters(query: MultiMapping[str], now: datetime) -> Filters:
    """The filters a query string asks for; anything unreadable is simply not applied."""
    year = _number(query.get("year"), 2000, 2100) or Context.year_of(now)
    unit = query.get("unit", "")
    commune, _, unit_id = unit.partition("-")
    return Filters(
        year=year,
        state=query.get("state", "waiting") if query.get("state") in STATES else "waiting",
        commune_code=commune or None,
        unit_id=int(unit_id) if unit_id.isdigit() else None,
        group=query.get("group") or None,
        passed=_flag(query.get("passed")),
        has_evidence=_flag(query.get("evidence")),
        waiting_days=_number(query.get("days"), 0, 3650),
        query=query.get("q", "")[:80],
        sort=query.get("sort", "oldest") if query.get("sort") in SORTS else "oldest",
    )


def days_waiting(now: datetime, since: datetime) -> int:
    return max(0, (now - since).days)


async def home(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    now = cfg.clock()
    f = filters(request.query, now)
    async with cfg.sessions() as db:
        rows, next_cursor = await console_queue.page(
            db, who.roles, f, now, after=request.query.get("after"), limit=PAGE
        )
        counts = await console_queue.counts(db, who.roles, f, now)
        where = await places(db, cfg.content, who)
    return render.page(
        request, "queue.html", _context(request, who, f, rows, next_cursor, counts, where, now)
    )


def _context(
    request: web.Request,
    who: Viewer,
    f: Filters,
    rows: list[console_queue.Row],
    next_cursor: str | None,
    counts: dict[str, int],
    where: Places,
    now: datetime,
) -> dict[str, Any]:
    content = config(request).content
    groups = {g.id: who.t.text(g.title) for g in content.groups(f.year)}
    kept = {k: v for k, v in request.query.items() if k != "after" and v}
    return {
        "f": f,
        "rows": rows,
        "counts": counts,
        "places": where,
        "groups": groups,
        "now": now,
        "days": lambda since: days_waiting(now, since),
        "commune_name": where.commune_name,
        "next_query": {**kept, "after": next_cursor} if next_cursor else None,
        "state_query": lambda state: {**kept, "state": state},
        "paged": "after" in request.query,
        "fails": {},
        "bulk": f.state == "waiting",
    }


def routes(app: web.Application) -> None:
    app.router.add_get("/", home, name="queue")
