"""The long-running modes: `poll`, `serve` and `worker`, built from the same parts.

- poll:   Telegram long polling -> inbox; inbox processor; delivery worker.
- serve:  web server (webhooks, /healthz) -> inbox; inbox processor; delivery worker
          (or the web server alone, leaving the inbox to `worker` processes).
- worker: inbox processor and delivery worker only (run several for more throughput).
Every part is safe to run in several processes at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.channels import telegram
from bot.delivery.worker import DeliveryWorker
from bot.inbox import InboxProcessor, InboxWriter
from bot.runtime import Runtime
from bot.web import make_app
from storage.db import make_sessionmaker

log = logging.getLogger(__name__)


class Services:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        if not settings.telegram_bot_token:
            raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
        self.runtime = runtime
        self.sessions = make_sessionmaker(runtime.db)
        self.bot = telegram.make_bot(settings.telegram_bot_token, settings.telegram_api_url)
        self.delivery = DeliveryWorker(
            self.sessions,
            telegram.TelegramSender(self.bot),
            global_rate=settings.telegram_global_rate,
        )
        self.processor = InboxProcessor(
            self.sessions,
            runtime.engine,
            {telegram.CHANNEL: telegram.TelegramInbound(self.bot)},
            on_processed=self.delivery.wake.set,
        )
        self.writer = InboxWriter(self.sessions)
        self.stop = asyncio.Event()
        self.health: dict[str, Any] = {}

    async def _store(self, update: dict[str, Any]) -> None:
        await self.writer.store(telegram.inbox_row(update))
        self.processor.wake.set()

    async def _keep(self, name: str, part: Callable[[], Awaitable[None]]) -> None:
        """Run a part until stop; a crash is logged and the part restarts."""
        while not self.stop.is_set():
            self.health[name] = "running"
            try:
                await part()
            except Exception:
                log.exception("%s stopped unexpectedly; restarting", name)
                self.health[name] = "restarting"
                await asyncio.sleep(1)
        self.health[name] = "stopped"

    def _workers(self) -> list[Awaitable[None]]:
        return [
            self._keep("inbox", lambda: self.processor.run(self.stop)),
            self._keep("delivery", lambda: self.delivery.run(self.stop)),
        ]

    async def _run(self, *parts: Awaitable[None]) -> None:
        await self.runtime.engine.prepare()
        try:
            await telegram.set_commands(self.bot, self.runtime.engine.catalogs)
        except Exception as exc:  # a menu is a nicety; the bot works without one
            log.warning("could not set the command menu: %s", exc)
        try:
            await asyncio.gather(*parts)
        finally:
            await self.bot.session.close()

    async def poll(self) -> None:
        await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await self._run(
            self._keep("polling", lambda: telegram.poll(self.bot, self._store, self.stop)),
            *self._workers(),
        )

    async def serve(self, *, with_workers: bool = True) -> None:
        settings = self.runtime.settings
        if not settings.webhook_secret:
            raise SystemExit("WEBHOOK_SECRET is not set: the webhook would accept anyone")
        app = make_app(
            self.sessions,
            webhook_secret=settings.webhook_secret,
            on_stored=self.processor.wake.set,
            health=self.health,
        )
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("listening on http://%s:%s", settings.host, settings.port)
        try:
            await self._run(*(self._workers() if with_workers else [self.stop.wait()]))
        finally:
            await runner.cleanup()

    async def worker(self) -> None:
        await self._run(*self._workers())
