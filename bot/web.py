"""The web server: platform webhooks and health.

A webhook answers 200 only after the raw update is committed to the inbox; processing
happens from there, so a crash after the answer loses nothing, and a platform's
redelivery of an update it thinks was lost is dropped by the inbox's unique key.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import telegram
from bot.inbox import InboxWriter
from storage.models import utcnow
from storage.repositories import inbox, outbox

log = logging.getLogger(__name__)

SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
WRITER = web.AppKey("inbox_writer", InboxWriter)
SECRET = web.AppKey("webhook_secret", str)
ON_STORED = web.AppKey("on_stored", Callable[[], None])
CLOCK = web.AppKey("clock", Callable[[], datetime])
HEALTH = web.AppKey("health", dict[str, Any])


def make_app(
    sessions: async_sessionmaker[AsyncSession],
    *,
    webhook_secret: str,
    on_stored: Callable[[], None] = lambda: None,
    clock: Callable[[], datetime] = utcnow,
    health: dict[str, Any] | None = None,
) -> web.Application:
    """`health` is a live dict that the running workers update (for /healthz)."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SESSIONS] = sessions
    app[WRITER] = InboxWriter(sessions, clock=clock)
    app[SECRET] = webhook_secret
    app[ON_STORED] = on_stored
    app[CLOCK] = clock
    app[HEALTH] = health if health is not None else {}
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_get("/healthz", healthz)
    return app


async def telegram_webhook(request: web.Request) -> web.Response:
    secret = request.app[SECRET]
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
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
        report["database"] = "ok"
    except Exception as exc:  # the health check must answer whatever broke
        log.warning("health check: database unavailable: %s", exc)
        report["database"] = f"error: {type(exc).__name__}"
        return web.json_response(report, status=503)
    return web.json_response(report)
