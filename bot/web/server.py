"""The web server: platform webhooks, health, the certificates' verification page and
download links to documents (for channels that cannot carry files).

A webhook answers 200 only after the raw update is committed to the inbox; processing
happens from there, so a crash after the answer loses nothing, and a platform's
redelivery of an update it thinks was lost is dropped by the inbox's unique key.
"""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from babel.support import NullTranslations
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import raw, telegram, zalo_bot, zalo_oa
from bot.channels.zalo_oa_tokens import health as token_health
from bot.documents.certificates import Certificates
from bot.documents.makers import Documents
from bot.inbox import InboxWriter
from bot.web import guard, verify_page
from bot.web.console import ConsoleConfig, make_console
from handlers.i18n import N_, Translator, load_catalogs
from storage.models import utcnow
from storage.repositories import health, inbox, oa_tokens, outbox
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthRules:
    """When /healthz says "not ok", and who may read why (``token``; no token: no one)."""

    token: str = ""
    max_delay: timedelta = timedelta(minutes=2)  # an update waiting, a reply overdue
    dead_letter_window: timedelta = timedelta(hours=24)  # dead letters this recent


SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
WRITER = web.AppKey("inbox_writer", InboxWriter)
SECRET = web.AppKey("webhook_secret", str)
ZALO_SECRET = web.AppKey("zalo_webhook_secret", str)
# (app id, OA secret key) of the Zalo Official Account, or None without one.
ZALO_OA = web.AppKey("zalo_oa", tuple[str, str])
ON_STORED = web.AppKey("on_stored", Callable[[], None])
CLOCK = web.AppKey("clock", Callable[[], datetime])
HEALTH = web.AppKey("health", dict[str, Any])
CERTIFICATES = web.AppKey("certificates", Certificates)
CATALOGS = web.AppKey("catalogs", Mapping[str, NullTranslations])
DOCUMENTS = web.AppKey("documents", Documents)
HEALTH_RULES = web.AppKey("health_rules", HealthRules)
OA_MAX_AGE = web.AppKey("zalo_oa_max_age", timedelta)


LINK_GONE = N_(
    "Liên kết tải tệp này đã hết hạn hoặc không đúng. Anh/Chị vui lòng yêu cầu lại tệp trong "
    "cuộc trò chuyện với trợ lý Công dân học tập."
)


def make_app(
    sessions: async_sessionmaker[AsyncSession],
    *,
    webhook_secret: str,
    zalo_webhook_secret: str = "",
    zalo_oa: tuple[str, str] | None = None,
    on_stored: Callable[[], None] = lambda: None,
    clock: Callable[[], datetime] = utcnow,
    health: dict[str, Any] | None = None,
    certificates: Certificates | None = None,
    catalogs: Mapping[str, NullTranslations] | None = None,
    documents: Documents | None = None,
    health_rules: HealthRules | None = None,
    zalo_oa_max_age: timedelta = timedelta(days=30),
    console: ConsoleConfig | None = None,
    rate_limit: guard.RateLimit | None = None,
) -> web.Application:
    """`health` is a live dict that the running workers update (for /healthz). With
    `certificates`, the app also serves their verification page at /verify/CODE; with
    `documents` that sign links, the documents those links name at /files/TOKEN. With
    `zalo_oa` (app id, OA secret key), it takes the OA's webhook and /healthz reports the
    OA's tokens; its events older than `zalo_oa_max_age` (the dedupe keys' retention) are
    refused. With `console`, the association's web console is served under /web.
    `rate_limit`: the one on /verify and /files (bot/web/guard.py)."""
    app = web.Application(client_max_size=1024 * 1024)
    guard.protect(app, rate_limit)
    app[SESSIONS] = sessions
    app[WRITER] = InboxWriter(sessions, clock=clock)
    app[SECRET] = webhook_secret
    app[ZALO_SECRET] = zalo_webhook_secret
    app[ON_STORED] = on_stored
    app[CLOCK] = clock
    app[HEALTH] = health if health is not None else {}
    app[HEALTH_RULES] = health_rules or HealthRules()
    app[OA_MAX_AGE] = zalo_oa_max_age
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_post("/zalo/webhook", zalo_webhook)
    if zalo_oa is not None:
        app[ZALO_OA] = zalo_oa
        app.router.add_post("/zalo-oa/webhook", zalo_oa_webhook)
    app.router.add_get("/healthz", healthz)
    if certificates is not None:
        app[CERTIFICATES] = certificates
        app[CATALOGS] = catalogs if catalogs is not None else load_catalogs()
        app.router.add_get("/verify/{code}", verify)
    if documents is not None and documents.links is not None:
        app[DOCUMENTS] = documents
        app.setdefault(CATALOGS, catalogs if catalogs is not None else load_catalogs())
        app.router.add_get("/files/{token}", download)
    if console is not None:
        app.add_subapp("/web", make_console(console))
    return app


def _authorised(request: web.Request, header: str, secret: str) -> bool:
    given = request.headers.get(header, "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


async def _update_body(request: web.Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None for anything else: not JSON, nested deeper than
    any update (a parser's or a later reader's recursion must never meet it), not an
    object. A body over the app's size limit is refused (413) by aiohttp."""
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) and raw.depth(body) <= raw.MAX_DEPTH else None


async def _store(request: web.Request, row: NewUpdate) -> web.Response | None:
    """Commit the update to the inbox; an answer to give instead when that failed."""
    try:
        await request.app[WRITER].store(row)
    except Exception as exc:  # the database is away: the platform will send it again
        log.warning("%s update %s not stored: %s", row.channel, row.update_id, exc)
        return web.Response(status=503, text="try again")
    request.app[ON_STORED]()
    return None


# Malformed bodies get a 400 for that request alone: Telegram and Zalo never send them,
# and a 400 tells whoever did without a traceback in our log.


async def telegram_webhook(request: web.Request) -> web.Response:
    if not _authorised(request, "X-Telegram-Bot-Api-Secret-Token", request.app[SECRET]):
        return web.Response(status=401, text="unauthorized")
    update = await _update_body(request)
    try:
        row = telegram.inbox_row(update) if update is not None else None
    except raw.Unreadable:
        row = None
    if row is None:
        return web.Response(status=400, text="not an update")
    return await _store(request, row) or web.Response(text="ok")


async def zalo_webhook(request: web.Request) -> web.Response:
    if not _authorised(request, "X-Bot-Api-Secret-Token", request.app[ZALO_SECRET]):
        return web.Response(status=401, text="unauthorized")
    body = await _update_body(request)
    try:
        row = zalo_bot.inbox_row(zalo_bot.unwrap(body)) if body is not None else None
    except raw.Unreadable:
        row = None
    if row is None:
        return web.Response(status=400, text="not an update")
    return await _store(request, row) or web.json_response({"ok": True})


async def zalo_oa_webhook(request: web.Request) -> web.Response:
    """Signed over the raw body: the signature is checked before the body is parsed."""
    app_id, secret_key = request.app[ZALO_OA]
    event = zalo_oa.verified(
        await request.read(),
        request.headers.get(zalo_oa.SIGNATURE_HEADER, ""),
        app_id=app_id,
        secret_key=secret_key,
    )
    if event is None:
        return web.Response(status=401, text="unauthorized")
    if raw.depth(event) > raw.MAX_DEPTH:
        return web.Response(status=400, text="not an event")
    if not zalo_oa.fresh(event, request.app[CLOCK](), request.app[OA_MAX_AGE]):
        # Signed, but from outside the time its dedupe key is kept: a replay, or no time.
        return web.Response(status=400, text="stale event")
    if zalo_oa.kept(event):
        try:
            row = zalo_oa.inbox_row(event)
        except raw.Unreadable:
            return web.Response(status=400, text="not an event")
        if (failed := await _store(request, row)) is not None:
            return failed
    return web.json_response({"error": 0})


async def healthz(request: web.Request) -> web.Response:
    """200 "ok" or 503 "not ok"; with the token (``Authorization: Bearer`` or ``?token=``)
    also what is wrong: the database, an update waiting or a reply overdue longer than the
    rules allow, dead letters set aside lately, the OA's tokens."""
    rules = request.app[HEALTH_RULES]
    now = request.app[CLOCK]()
    report: dict[str, Any] = {"workers": request.app[HEALTH]}
    problems: list[str] = []
    try:
        async with request.app[SESSIONS]() as session:
            await session.execute(text("SELECT 1"))
            report["inbox_pending"] = await inbox.pending_count(session)
            report["inbox_oldest_waiting_seconds"] = _age(await inbox.oldest_waiting(session), now)
            report["dead_letters"] = await inbox.dead_count(session)
            report["dead_letters_recent"] = await inbox.dead_count(
                session, now - rules.dead_letter_window
            )
            report["outbox"] = await outbox.status_counts(session)
            age = await outbox.oldest_pending_age(session, now)
            report["outbox_oldest_pending_seconds"] = age.total_seconds() if age else None
            report["outbox_oldest_due_seconds"] = _age(
                await health.oldest_due_reply(session, now), now
            )
            if ZALO_OA in request.app:
                row = await oa_tokens.get(session, request.app[ZALO_OA][0])
                report["zalo_oa_token"] = token_health(row, now)
        report["database"] = "ok"
    except Exception as exc:  # the health check must answer whatever broke
        log.warning("health check: database unavailable: %s", exc)
        report["database"] = f"error: {type(exc).__name__}"
        problems.append("database")
    limit = rules.max_delay.total_seconds()
    if (report.get("inbox_oldest_waiting_seconds") or 0) > limit:
        problems.append("inbox")
    if (report.get("outbox_oldest_due_seconds") or 0) > limit:
        problems.append("outbox")
    if report.get("dead_letters_recent"):
        problems.append("dead_letters")
    # The OA cannot send without a valid token: that is as unhealthy as a dead database.
    if report.get("zalo_oa_token", {"status": "ok"})["status"] != "ok":
        problems.append("zalo_oa_token")
    status = {"status": "not ok" if problems else "ok"}
    if _may_see_details(request, rules.token):
        status |= {"problems": problems, **report}
    return web.json_response(status, status=503 if problems else 200)


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max((now - since).total_seconds(), 0.0)


def _may_see_details(request: web.Request, token: str) -> bool:
    given = request.query.get("token", "")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        given = credentials.strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


async def verify(request: web.Request) -> web.Response:
    """Whether a certificate is valid: 200 with the holder's name, commune, year and status
    (revoked ones say so), or 404."""
    t = Translator(request.app[CATALOGS], request.query.get("lang", "vi"))
    async with request.app[SESSIONS]() as session:
        verdict = await request.app[CERTIFICATES].verify(session, request.match_info["code"])
    return web.Response(
        text=verify_page.page(t, verdict),
        content_type="text/html",
        status=404 if verdict is None else 200,
        headers=verify_page.HEADERS,
    )


async def download(request: web.Request) -> web.Response:
    """The document a signed link names, made now; 404 when the link is forged or expired,
    or the document is gone (erased, revoked)."""
    documents = request.app[DOCUMENTS]
    assert documents.links is not None
    name = documents.links.document(request.match_info["token"])
    document = await documents.make(name) if name is not None else None
    if document is None:
        t = Translator(request.app[CATALOGS], request.query.get("lang", "vi"))
        return web.Response(text=t._(LINK_GONE), status=404, headers=verify_page.HEADERS)
    kind = mimetypes.guess_type(document.filename)[0] or "application/octet-stream"
    return web.Response(
        body=document.content,
        content_type=kind,
        headers={
            **verify_page.HEADERS,
            # RFC 6266: the UTF-8 name for browsers, an ASCII one for the rest.
            "Content-Disposition": (
                f'attachment; filename="{_ascii(document.filename)}"; '
                f"filename*=UTF-8''{quote(document.filename)}"
            ),
        },
    )


def _ascii(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
