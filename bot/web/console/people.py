"""People (admins; a commune's admins within their commune): the officers and admins with
their roles, scopes and last activity; invites with their code, link and QR; cancelling an
invite; revoking a role (their sessions end on their next request: every request re-reads
the roles). Each through the staff actions, which decide who may. The units and figures
(units.py) and the audit log (audit.py) are the People pages' other tabs."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import config, viewer, work
from bot.web.console.places import places
from handlers.actions import Reason, Refused
from handlers.actions import staff as act
from handlers.i18n import N_
from storage.models import StaffRole
from storage.repositories import web_sessions

ROLE_NAMES = {StaffRole.OFFICER: N_("cán bộ xác minh"), StaffRole.ADMIN: N_("quản trị viên")}
NOT_ADMIN = N_("Trang này dành cho quản trị viên.")
NOT_SOLE = N_(
    "Chỉ cho phép được khi người này là cán bộ duy nhất của đơn vị hoặc xã/phường: "
    "phiếu họ nhập sẽ do cán bộ khác xác minh."
)
BAD_SCOPE = N_("Phạm vi không hợp lệ: quản trị viên quản lý cả tỉnh hoặc một xã/phường.")


def not_admin(request: web.Request) -> web.Response:
    reason = viewer(request).t._(NOT_ADMIN)
    return render.page(request, "refused.html", {"reason": reason}, status=403)


def _qr(text: str, title: str) -> Markup:
    # Loaded by the first invite shown, not by every process that serves pages: a few
    # hundred KB that a bot process mostly never needs.
    import segno

    return Markup(segno.make(text, error="m").svg_inline(scale=4, title=title, border=2))


async def _page(
    request: web.Request, *, invited: act.Invited | None = None, error: str | None = None
) -> web.Response:
    cfg, who = config(request), viewer(request)
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            members = await act.people(w, who.actor)
            invites = await act.invites(w, who.actor)
        except Refused:
            return not_admin(request)
        seen = await web_sessions.last_active(db, [m.role.user_id for m in members])
        where = await places(db, cfg.content, who)
    context: dict[str, Any] = {
        "members": members,
        "invites": invites,
        "seen": seen,
        "roles": {role.value: who.t._(name) for role, name in ROLE_NAMES.items()},
        "places": where,
        "province": who.province,
        "province_name": cfg.content.units.province_name,
        "invited": invited,
        "error": error,
    }
    if invited is not None:
        link = f"https://t.me/{cfg.telegram_bot}?start=o_{invited.code}" if cfg.telegram_bot else ""
        context["link"] = link
        context["qr"] = _qr(link or f"/officer {invited.code}", who.t._("Mã QR của lời mời"))
    return render.page(request, "people.html", context, status=400 if error else 200)


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def invite(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    role = str(form.get("role", ""))
    scope = str(form.get("scope", "")) or None
    if role not in {r.value for r in StaffRole}:
        return await _page(request, error=who.t._(BAD_SCOPE))
    async with cfg.sessions() as db, db.begin():
        try:
            invited = await act.invite(
                work(request, db), who.actor, role=StaffRole(role), scope=scope
            )
        except Refused as refused:
            failure: Refused | None = refused
        else:
            failure = None
    if failure is not None:
        message = NOT_ADMIN if failure.reason == Reason.NOT_STAFF else BAD_SCOPE
        return await _page(request, error=who.t._(message))
    return await _page(request, invited=invited)


async def _change(request: web.Request, change: str) -> web.Response:
    cfg, who = config(request), viewer(request)
    target = request.match_info["id"]
    if not target.isdigit():
        raise web.HTTPNotFound(text="not found")
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            if change == "revoke":
                await act.revoke(w, who.actor, int(target))
            else:
                await act.cancel_invite(w, who.actor, int(target))
        except Refused:
            refused = True
        else:
            refused = False
    if refused:
        raise web.HTTPNotFound(text="not found")
    return see_other("/web/people")


async def revoke(request: web.Request) -> web.Response:
    return await _change(request, "revoke")


async def cancel_invite(request: web.Request) -> web.Response:
    return await _change(request, "cancel")


async def sole(request: web.Request) -> web.Response:
    """Let the only officer of a unit or commune decide the paper forms they entered (or
    no longer): refused, saying why, when they are not their scope's only officer."""
    cfg, who = config(request), viewer(request)
    target = request.match_info["id"]
    if not target.isdigit():
        raise web.HTTPNotFound(text="not found")
    allowed = (await request.post()).get("allow") == "1"
    async with cfg.sessions() as db, db.begin():
        try:
            await act.allow_sole(work(request, db), who.actor, int(target), allowed)
        except Refused as refused:
            failure: Refused | None = refused
        else:
            failure = None
    if failure is not None and failure.reason == Reason.NOT_SOLE:
        return await _page(request, error=who.t._(NOT_SOLE))
    if failure is not None:
        raise web.HTTPNotFound(text="not found")
    return see_other("/web/people")
