"""Who is signed in, and what every console response carries.

A one-time link from the chat (`/web`) signs a staff member in. Opening the link shows a
button and only pressing it uses the link up: chat apps fetch links to preview them, and
that fetch must not spend a one-time link. The session cookie is HttpOnly, SameSite=Lax,
and Secure when the site is served over HTTPS; the session ends after hours without use,
at sign-out, or as soon as the person has no active role (re-read on every request). Every
request that changes something carries the session's CSRF token, in the form or in htmx's
header. Neither links nor session ids are ever logged."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import select

from bot.web.console import render
from bot.web.console.config import VIEWER, Viewer, config, viewer, work
from handlers.actions import Refused, console
from handlers.i18n import LOCALES, Translator
from storage.models import Profile
from storage.repositories import reviews, web_sessions

COOKIE = "cdht_console"
# The sign-in form's own CSRF token, also set as a cookie when the form is shown: a form
# posted from another site carries no such cookie (SameSite=Strict), so nobody can sign a
# victim's browser in with a link of their own.
SIGNIN_COOKIE = "cdht_signin"
CSRF_HEADER = "X-CSRF-Token"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}
# Reached without a session: the sign-in pages, the public progress page (when served)
# and the static assets.
_OPEN = ("/web/signin", "/web/progress", "/web/static/")
_SAFE_METHODS = ("GET", "HEAD")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SIGNIN_LINK = re.compile(r"/web/signin/[^\s\"?]+")


class RedactLinks(logging.Filter):
    """Keeps sign-in links out of the access log: the path is the credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _SIGNIN_LINK.sub("/web/signin/[…]", record.msg)
        if record.args:
            record.args = tuple(
                _SIGNIN_LINK.sub("/web/signin/[…]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


REDACT = RedactLinks()


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/web/static/"):
        # Versioned URLs (?v=hash): the browser may keep them.
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the open ones needs a live session of a person with an active role;
    every change needs the session's CSRF token too."""
    if request.path.startswith(_OPEN):
        return await handler(request)
    found = await _viewer(request)
    if found is None:
        if request.method in _SAFE_METHODS:
            return see_other("/web/signin")
        raise web.HTTPForbidden(text="not signed in")
    if request.method not in _SAFE_METHODS and not await _csrf_ok(request, found):
        raise web.HTTPForbidden(text="CSRF token missing or wrong")
    request[VIEWER] = found
    return await handler(request)


async def _viewer(request: web.Request) -> Viewer | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    cfg = config(request)
    now = cfg.clock()
    async with cfg.sessions() as db, db.begin():
        row = await web_sessions.current(db, session_id, now, cfg.session_idle)
        if row is None:
            return None
        roles = await reviews.scopes(db, row.user_id, cfg.content.routing)
        if not roles:  # revoked meanwhile: this session is over
            await web_sessions.end(db, session_id)
            return None
        web_sessions.touch(row, now)
        name = await db.scalar(select(Profile.full_name).where(Profile.user_id == row.user_id))
        return Viewer(
            user_id=row.user_id,
            name=name or "",
            roles=roles,
            csrf_token=row.csrf_token,
            t=Translator(cfg.catalogs, row.locale),
        )


async def _csrf_ok(request: web.Request, found: Viewer) -> bool:
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get("csrf", ""))
    return bool(given) and hmac.compare_digest(given.encode(), found.csrf_token.encode())


def see_other(location: str) -> web.Response:
    """A redirect after a form (303: the browser follows with GET)."""
    return web.Response(status=303, headers={"Location": location})


def _lang(request: web.Request) -> Translator:
    return Translator(config(request).catalogs, request.query.get("lang", "vi"))


async def signin_help(request: web.Request) -> web.Response:
    """Where a visitor without a session lands: how to get a link."""
    return render.page(request, "signin_help.html", {}, t=_lang(request))


async def signin_form(request: web.Request) -> web.Response:
    """The link from the chat: a button that signs in (the link stays unused until then)."""
    nonce = secrets.token_urlsafe(24)
    response = render.page(
        request,
        "signin.html",
        {"token": request.match_info["token"], "nonce": nonce},
        t=_lang(request),
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        httponly=True,
        samesite="Strict",
        secure=config(request).secure_cookies,
        path="/web/signin",
        max_age=int(console.SIGNIN_LIFETIME.total_seconds()),
    )
    return response


async def signin(request: web.Request) -> web.Response:
    cfg = config(request)
    form = await request.post()
    token = str(form.get("token", ""))
    locale = str(form.get("lang", "vi"))
    now = cfg.clock()
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(nonce.encode(), str(form.get("nonce", "")).encode()):
        raise web.HTTPForbidden(text="open the sign-in link in this browser")
    async with cfg.sessions() as db, db.begin():
        try:
            actor = await console.sign_in(work(request, db), token)
        except Refused:
            session_id = None
        else:
            assert actor.user_id is not None
            session_id = await web_sessions.start(
                db, actor.user_id, locale if locale in LOCALES else "vi", now
            )
    if session_id is None:
        return render.page(
            request, "signin_help.html", {"refused": True}, t=_lang(request), status=403
        )
    response = see_other("/web/")
    response.del_cookie(SIGNIN_COOKIE, path="/web/signin")
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="Lax",
        secure=cfg.secure_cookies,
        path="/web",
        max_age=int(cfg.session_idle.total_seconds()),
    )
    return response


async def signout(request: web.Request) -> web.Response:
    """Sign out this browser, or (`everywhere`) every browser the person is signed in on."""
    cfg = config(request)
    everywhere = (await request.post()).get("everywhere") == "yes"
    async with cfg.sessions() as db, db.begin():
        if everywhere:
            await console.sign_out_everywhere(work(request, db), viewer(request).actor)
        else:
            await web_sessions.end(db, request.cookies.get(COOKIE, ""))
    response = see_other("/web/signin?out=1")
    response.del_cookie(COOKIE, path="/web")
    return response


async def language(request: web.Request) -> web.Response:
    """Switch the session's language, then back to the page it was chosen on."""
    cfg = config(request)
    form = await request.post()
    locale = str(form.get("lang", ""))
    if locale in LOCALES:
        async with cfg.sessions() as db, db.begin():
            row = await web_sessions.current(
                db, request.cookies.get(COOKIE, ""), cfg.clock(), cfg.session_idle
            )
            if row is not None:
                row.locale = locale
    back = str(form.get("back", "/web/"))
    return see_other(back if back.startswith("/web/") else "/web/")


def routes(app: web.Application) -> None:
    app.router.add_get("/signin", signin_help)
    app.router.add_get("/signin/{token}", signin_form)
    app.router.add_post("/signin", signin)
    app.router.add_post("/signout", signout)
    app.router.add_post("/language", language)
