"""The audit log (admins; a commune's admins see their commune's people): who did what to
which record, filtered by who, action, record and days, newest first, a page at a time.
Through the audit_log action, which decides who sees what and notes the reading."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.web.console import render
from bot.web.console.config import config, viewer, work
from bot.web.console.people import not_admin
from handlers.actions import Refused, audit_log, staff
from handlers.i18n import LOCAL_TZ


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), LOCAL_TZ) if day else None


def asked(query: MultiMapping[str]) -> audit_log.Filters:
    """The filters a query string asks for; anything unreadable is simply not applied.
    Days are Vietnam's; `to` includes its day."""
    until = _day(query.get("to"))
    return audit_log.Filters(
        who=query.get("who", "").strip()[:64] or None,
        action=query.get("action", "").strip()[:48] or None,
        subject=query.get("subject", "").strip()[:64] or None,
        since=_start(_day(query.get("from"))),
        until=_start(until + timedelta(days=1)) if until else None,
    )


async def page(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    filters = asked(request.query)
    before = request.query.get("before", "")
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            found = await audit_log.log(
                w, who.actor, filters, before=int(before) if before.isdigit() else None
            )
            members = await staff.people(w, who.actor, include_revoked=True)
        except Refused:
            return not_admin(request)
    people = {m.role.user_id: m.name or f"#{m.role.user_id}" for m in members}
    query = {k: v for k, v in request.query.items() if k != "before" and v}
    context: dict[str, Any] = {
        "page": found,
        "people": sorted(people.items(), key=lambda p: p[1]),
        "query": query,
        "older": {**query, "before": str(found.older)} if found.older else None,
        "first": bool(before),
        "local": lambda when: when.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"),
    }
    return render.page(request, "audit.html", context)
