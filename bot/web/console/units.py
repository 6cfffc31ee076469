"""Units and population figures (admins; a commune's admins within their commune): the
units with their codes, adding one, and the year's figures for the plan's ratios, set in a
form or uploaded as a CSV that is taken whole or not at all (the first bad line is named).
Each through the units and populations actions, which decide who may."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import config, viewer, work
from bot.web.console.people import not_admin
from bot.web.console.places import places
from bot.web.console.queue import filters
from handlers.actions import Reason, Refused, populations, units
from handlers.context import Context
from handlers.i18n import N_

KINDS = {
    "village": N_("thôn, tổ dân phố"),
    "agency": N_("cơ quan"),
    "enterprise": N_("doanh nghiệp"),
    "school": N_("trường học"),
}
REFUSED = {
    Reason.BAD_SCOPE: N_("Không có xã/phường này."),
    Reason.OUT_OF_SCOPE: N_("Xã/phường này không thuộc phạm vi bạn quản lý."),
    Reason.BAD_KIND: N_("Loại đơn vị không hợp lệ."),
    Reason.NO_NAME: N_("Hãy nhập tên đơn vị."),
    Reason.TAKEN: N_("Xã/phường này đã có đơn vị cùng tên."),
}
LINE = N_("Dòng {line}: {problem}")


def _year(request: web.Request) -> int:
    return filters(request.query, config(request).clock()).year


async def _page(
    request: web.Request, *, year: int | None = None, error: str | None = None, status: int = 200
) -> web.Response:
    cfg, who = config(request), viewer(request)
    year = year or _year(request)
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            listed = await units.listed(w, who.actor)
            figures = await populations.figures(w, who.actor, year)
        except Refused:
            return not_admin(request)
        where = await places(db, cfg.content, who)
    names = dict(where.choices) | where.names
    context: dict[str, Any] = {
        "units": listed,
        "kinds": {k: who.t._(KINDS[k]) if k in KINDS else k for k in cfg.content.routing.kinds},
        "communes": [(code, label) for code, label in where.choices if "-" not in code],
        "places": where,
        "figures": sorted(figures.values(), key=lambda f: names.get(f.unit_code, f.unit_code)),
        "names": names,
        "year": year,
        "this_year": Context.year_of(cfg.clock()),
        "imported": request.query.get("imported", ""),
        "error": error,
    }
    return render.page(request, "units.html", context, status=status)


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def add(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    async with cfg.sessions() as db, db.begin():
        try:
            unit = await units.add(
                work(request, db),
                who.actor,
                commune=str(form.get("commune", "")),
                name=str(form.get("name", "")),
                kind=str(form.get("kind", "")),
            )
        except Refused as refused:
            failure: Refused | None = refused
        else:
            failure, code = None, unit.code
    if failure is None:
        return see_other(f"/web/people/units#unit-{code}")
    if failure.reason == Reason.NOT_STAFF:
        return not_admin(request)
    status = 403 if failure.reason == Reason.OUT_OF_SCOPE else 400
    return await _page(request, error=who.t._(REFUSED[failure.reason]), status=status)


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


async def set_figures(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    year = _whole(str(form.get("year", ""))) or _year(request)
    adults, staff = (_whole(str(form.get(k, ""))) for k in ("adults", "staff"))
    async with cfg.sessions() as db, db.begin():
        try:
            await populations.set_figures(
                work(request, db),
                who.actor,
                str(form.get("place", "")),
                year,
                adults=adults,
                staff=staff,
            )
        except Refused:
            return not_admin(request)
        except populations.BadFigures as bad:
            failure: str | None = bad.say(who.t)
        else:
            failure = None
    if failure is not None:
        return await _page(request, year=year, error=failure, status=400)
    return see_other(f"/web/people/units?year={year}")


async def upload(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    sent = form.get("file")
    data = sent.file.read() if isinstance(sent, web.FileField) else b""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"  # not a CSV: the header check names line 1
    async with cfg.sessions() as db, db.begin():
        try:
            count = await populations.import_csv(
                work(request, db),
                who.actor,
                text,
                source=sent.filename if isinstance(sent, web.FileField) else None,
            )
        except Refused:
            return not_admin(request)
        except populations.BadFigures as bad:
            problem = bad.say(who.t)
            failure: str | None = (
                who.t._(LINE).format(line=bad.line, problem=problem) if bad.line else problem
            )
        else:
            failure = None
    if failure is not None:
        return await _page(request, error=failure, status=400)
    return see_other(f"/web/people/units?imported={count}")
