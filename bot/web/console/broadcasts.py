"""Broadcasts: compose a message, choose whom it reaches with the recipient count kept live
(htmx asks again on every change), preview it as a citizen reads it, send it now or at a
time; then follow it (a small fragment polled while it runs) with pause, resume and cancel;
and the past broadcasts with their figures. Every rule is the broadcast actions' (the same
as the chat's and the command line's): the page only reads the form and says the result."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import config, viewer, work
from bot.web.console.places import places
from handlers.actions import Reason, Refused, Work
from handlers.actions import broadcasts as act
from handlers.context import Context
from handlers.flows.broadcast import STATE_TEXT, message_text, status_name, too_long, words
from handlers.i18n import LOCAL_TZ, N_, Translator
from storage.models import AssessmentStatus, BroadcastStatus
from storage.repositories import staff
from storage.repositories.segments import NOT_STARTED, Segment

PROBLEMS = {
    Reason.NOT_STAFF: N_("Anh/Chị không có quyền gửi thông báo."),
    Reason.OUT_OF_SCOPE: N_("Nơi nhận này nằm ngoài phạm vi của Anh/Chị."),
    Reason.EMPTY: N_("Anh/Chị chưa gõ nội dung thông báo."),
    Reason.IN_THE_PAST: N_("Thời điểm gửi đã qua. Anh/Chị chọn một thời điểm sau bây giờ."),
    Reason.WRONG_STATE: N_("Thông báo đang ở trạng thái không cho phép việc này."),
}
BAD_TIME = N_("Anh/Chị chọn ngày và giờ gửi.")
CHANGES = {"pause": act.pause, "resume": act.resume, "cancel": act.cancel}
# While a broadcast may still send, its figures are asked for again this often.
POLL = "2s"


def _problem(t: Translator, refused: Refused, text: str = "") -> str:
    if refused.reason == Reason.TOO_LONG:
        return too_long(t, text)
    return t._(PROBLEMS.get(refused.reason, PROBLEMS[Reason.NOT_STAFF]))


class FormError(ValueError):
    """A form value the page cannot use; its text is for the viewer."""


async def _segment(w: Work, form: MultiMapping[str]) -> Segment:
    """The segment the form chooses (whether the viewer may reach it is the action's to
    say); a group or status that names nothing is not applied, a place that names nothing
    is refused."""
    place = str(form.get("place", ""))
    segment = Segment()
    if "-" in place:
        unit = await staff.unit_by_code(w.session, place)
        if unit is None:
            raise FormError(PROBLEMS[Reason.OUT_OF_SCOPE])
        segment = Segment(units=(unit.id,))
    elif place:
        segment = Segment(communes=(place,))
    year = Context.year_of(w.now)
    group = str(form.get("group", ""))
    if group in {g.id for g in w.content.groups(year)}:
        segment = replace(segment, groups=(group,))
    status = str(form.get("status", ""))
    if status in _statuses():
        segment = replace(segment, statuses=(status,), year=year)
    return segment


def _statuses() -> list[str]:
    return [NOT_STARTED, *(s.value for s in AssessmentStatus)]


def _when(form: MultiMapping[str]) -> datetime | None:
    """None: now; else the local time chosen."""
    if form.get("when") != "at":
        return None
    try:
        return datetime.fromisoformat(str(form.get("at", ""))).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise FormError(BAD_TIME) from None


async def _preview(w: Work, request: web.Request, form: MultiMapping[str]) -> dict[str, Any]:
    """The count and the message as a citizen reads it, or why not."""
    who, cfg = viewer(request), config(request)
    text = str(form.get("text", "")).strip()
    try:
        segment = await _segment(w, form)
        audience = await act.audience(w, who.actor, segment)
    except FormError as exc:
        return {"audience": None, "problem": who.t._(str(exc))}
    except Refused as refused:
        return {"audience": None, "problem": _problem(who.t, refused)}
    citizen = Translator(cfg.catalogs, "vi")  # most citizens read Vietnamese
    return {
        "audience": audience,
        "problem": None,
        "message": message_text(citizen, text) if text else "",
        "to_whom": await words(who.t, cfg.content, w.session, segment, Context.year_of(w.now)),
    }


async def _page(
    request: web.Request,
    form: MultiMapping[str] | None = None,
    *,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    cfg, who = config(request), viewer(request)
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            past = await act.history(w, who.actor)
        except Refused as refused:
            return render.page(
                request, "refused.html", {"reason": _problem(who.t, refused)}, status=403
            )
        where = await places(db, cfg.content, who)
        year = Context.year_of(w.now)
        values = form or {}
        if not values and not who.province and where.choices:
            values = {"place": where.choices[0][0]}
        preview = await _preview(w, request, values)
        context: dict[str, Any] = {
            **preview,
            **await _named(w, who.t, past),
            "form": values,
            "error": error,
            "places": where,
            "province": who.province,
            "province_name": cfg.content.units.province_name,
            "groups": [(g.id, who.t.text(g.title)) for g in cfg.content.groups(year)],
            "statuses": [(s, status_name(who.t, s)) for s in _statuses()],
            "year": year,
            "max_text": act.MAX_TEXT,
            "now": f"{w.now.astimezone(LOCAL_TZ):%Y-%m-%dT%H:%M}",
        }
    return render.page(request, "broadcasts.html", context, status=status)


async def _named(w: Work, t: Translator, past: list[act.Figures]) -> dict[str, Any]:
    year = Context.year_of(w.now)
    return {
        "past": past,
        "states": {s.value: t._(text) for s, text in STATE_TEXT.items()},
        "to": {
            f.broadcast.id: await words(
                t, w.content, w.session, Segment.from_json(f.broadcast.segment), year
            )
            for f in past
        },
    }


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def preview(request: web.Request) -> web.Response:
    """htmx: the count and preview fragment; without script: the page, the form kept."""
    form = await request.post()
    if request.headers.get("HX-Request") != "true":
        return await _page(request, form)
    cfg = config(request)
    async with cfg.sessions() as db, db.begin():
        context = await _preview(work(request, db), request, form)
    return render.page(request, "_broadcast_preview.html", context)


async def create(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    text = str(form.get("text", ""))
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            when, segment = _when(form), await _segment(w, form)
            made = await act.create(w, who.actor, text=text, segment=segment, send_at=when or w.now)
        except FormError as exc:
            failure = who.t._(str(exc))
        except Refused as refused:
            failure = _problem(who.t, refused, text)
        else:
            failure = ""
    if failure:
        return await _page(request, form, error=failure, status=400)
    return see_other(f"/web/broadcasts/{made.id}")


def _id(request: web.Request) -> int:
    target = request.match_info["id"]
    if not target.isdigit():
        raise web.HTTPNotFound(text="not found")
    return int(target)


async def _figures(request: web.Request, template: str) -> web.Response:
    cfg, who = config(request), viewer(request)
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            shown = await act.figures(w, who.actor, _id(request))
        except Refused:
            shown = None
        else:
            named = await _named(w, who.t, [shown])
    if shown is None:
        raise web.HTTPNotFound(text="not found")
    b = shown.broadcast
    running = b.status not in (BroadcastStatus.CANCELLED, BroadcastStatus.DONE)
    at = b.send_at.astimezone(LOCAL_TZ) if b.send_at else None
    context = {
        **named,
        "starts": f"{at:%H:%M} {who.t.date(at)}" if at else "",
        "f": shown,
        "poll": POLL if running else None,
        "message": message_text(Translator(cfg.catalogs, "vi"), b.text),
        "error": request.query.get("error") == "state",
    }
    return render.page(request, template, context)


async def follow(request: web.Request) -> web.Response:
    return await _figures(request, "broadcast.html")


async def figures(request: web.Request) -> web.Response:
    return await _figures(request, "_broadcast_figures.html")


async def change(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    broadcast_id = _id(request)
    action = CHANGES.get(request.match_info["change"])
    if action is None:
        raise web.HTTPNotFound(text="not found")
    async with cfg.sessions() as db, db.begin():
        try:
            await action(work(request, db), who.actor, broadcast_id)
        except act.WrongState:
            return see_other(f"/web/broadcasts/{broadcast_id}?error=state")
        except Refused:
            missing = True
        else:
            missing = False
    if missing:
        raise web.HTTPNotFound(text="not found")
    return see_other(f"/web/broadcasts/{broadcast_id}")
