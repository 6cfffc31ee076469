"""Revoking a certificate (admins of the province, or of the holder's commune): the
command line's `certificate revoke`, through the same action, which decides who may and
tells the holder why. Only the code printed on the certificate names it, so the page shows
nothing of a certificate the admin may not revoke."""

from __future__ import annotations

from aiohttp import web

from bot.web.console import render
from bot.web.console.config import config, viewer, work
from bot.web.console.people import not_admin
from handlers.actions import Reason, Refused, certificates
from handlers.i18n import N_

REFUSED = {
    Reason.NOTE_TOO_SHORT: N_("Lý do quá ngắn. Anh/Chị ghi rõ hơn để người được cấp hiểu."),
    Reason.NOT_FOUND: N_("Không có giấy chứng nhận nào mang mã này trong phạm vi Anh/Chị quản lý."),
    Reason.DECIDED: N_("Giấy chứng nhận này đã bị thu hồi trước đó."),
}
DONE = N_("Đã thu hồi giấy chứng nhận số {number}; người được cấp đã được báo lý do.")


def _page(
    request: web.Request, *, message: str = "", error: str = "", code: str = "", reason: str = ""
) -> web.Response:
    context = {"message": message, "error": error, "code": code, "reason": reason}
    return render.page(request, "certificates.html", context, status=400 if error else 200)


async def page(request: web.Request) -> web.Response:
    if not viewer(request).admin:
        return not_admin(request)
    return _page(request)


async def revoke(request: web.Request) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    code, reason = str(form.get("code", ""))[:32], str(form.get("reason", ""))[:500]
    async with cfg.sessions() as db, db.begin():
        try:
            done = await certificates.revoke(work(request, db), who.actor, code, reason)
        except Refused as refused:
            failure: Refused | None = refused
        else:
            failure = None
    if failure is not None and failure.reason == Reason.NOT_STAFF:
        return not_admin(request)
    if failure is not None:
        return _page(request, error=who.t._(REFUSED[failure.reason]), code=code, reason=reason)
    return _page(request, message=who.t._(DONE).format(number=done.certificate.number))
