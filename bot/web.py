"""The web server: platform webhooks, health, the certificates' verification page and
download links to documents (for channels that cannot carry files).

A webhook answers 200 only after the raw update is committed to the inbox; processing
happens from there, so a crash after the answer loses nothing, and a platform's
redelivery of an update it thinks was lost is dropped by the inbox's unique key.
"""

from __future__ import annotations

import hmac
import logging
import mimetypes
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web
from babel.support import NullTranslations
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import verify_page, web_guard
from bot.certificates import Certificates
from bot.channels import telegram, zalo_bot, zalo_oa
from bot.channels.zalo_oa_tokens import health as token_health
from bot.documents import Documents
from bot.inbox import InboxWriter
from handlers.i18n import N_, Translator, load_catalogs
from storage.models import utcnow
from storage.repositories import inbox, oa_tokens, outbox

log = logging.getLogger(__name__)

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
    rate_limit: web_guard.RateLimit | None = None,
) -> web.Application:
    """`health` is a live dict that the running workers update (for /healthz). With
    `certificates`, the app also serves their verification page at /verify/CODE; with
    `documents` that sign links, the documents those links name at /files/TOKEN. With
    `zalo_oa` (app id, OA secret key), it takes the OA's webhook and /healthz reports the
    OA's tokens. `rate_limit`: the one on /verify and /files (bot/web_guard.py)."""
    app = web.Application(client_max_size=1024 * 1024)
    web_guard.protect(app, rate_limit)
    app[SESSIONS] = sessions
    app[WRITER] = InboxWriter(sessions, clock=clock)
    app[SECRET] = webhook_secret
    app[ZALO_SECRET] = zalo_webhook_secret
    app[ON_STORED] = on_stored
    app[CLOCK] = clock
    app[HEALTH] = health if health is not None else {}
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
    return app


def _authorised(request: web.Request, header: str, secret: str) -> bool:
    given = request.headers.get(header, "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


async def telegram_webhook(request: web.Request) -> web.Response:
    if not _authorised(request, "X-Telegram-Bot-Api-Secret-Token", request.app[SECRET]):
        return web.Response(status=401, text="unauthorized")
    try:
        update = await request.json()
        int(update["update_id"])
    except (ValueError, KeyError, TypeError):
        # Telegram never sends this; a 400 tells whoever did, and Telegram would not retry it.
        return web.Response(status=400, text="not an update")
    await request.app[WRITER].store(telegram.inbox_row(update))
    request.app[ON_STORED]()
    return web.Response(text="ok")


async def zalo_webhook(request: web.Request) -> web.Response:
    if not _authorised(request, "X-Bot-Api-Secret-Token", request.app[ZALO_SECRET]):
        return web.Response(status=401, text="unauthorized")
    try:
        row = zalo_bot.inbox_row(zalo_bot.unwrap(await request.json()))
    except (ValueError, KeyError, TypeError, AttributeError):
        return web.Response(status=400, text="not an update")
    await request.app[WRITER].store(row)
    request.app[ON_STORED]()
    return web.json_response({"ok": True})


async def zalo_oa_webhook(request: web.Request) -> web.Response:
    """Signed over the raw body: it is read as bytes and checked before anything else."""
    app_id, secret_key = request.app[ZALO_OA]
    event = zalo_oa.verified(
        await request.read(),
        request.headers.get(zalo_oa.SIGNATURE_HEADER, ""),
        app_id=app_id,
        secret_key=secret_key,
    )
    if event is None:
        return web.Response(status=401, text="unauthorized")
    if zalo_oa.kept(event):
        try:
            row = zalo_oa.inbox_row(event)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="not an event")
        await request.app[WRITER].store(row)
        request.app[ON_STORED]()
    return web.json_response({"error": 0})


async def healthz(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    report: dict[str, Any] = {"workers": request.app[HEALTH]}
    try:
        async with request.app[SESSIONS]() as session:
            await session.execute(text("SELECT 1"))
            report["inbox_pending"] = await inbox.pending_count(session)
            report["outbox"] = await outbox.status_counts(session)
            age = await outbox.oldest_pending_age(session, now)
            report["outbox_oldest_pending_seconds"] = age.total_seconds() if age else None
            if ZALO_OA in request.app:
                row = await oa_tokens.get(session, request.app[ZALO_OA][0])
                report["zalo_oa_token"] = token_health(row, now)
        report["database"] = "ok"
    except Exception as exc:  # the health check must answer whatever broke
        log.warning("health check: database unavailable: %s", exc)
        report["database"] = f"error: {type(exc).__name__}"
        return web.json_response(report, status=503)
    # The OA cannot send without a valid token: that is as unhealthy as a dead database.
    token = report.get("zalo_oa_token", {"status": "ok"})
    return web.json_response(report, status=200 if token["status"] == "ok" else 503)


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
