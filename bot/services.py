"""The long-running modes: `poll`, `serve` and `worker`, built from the same parts.

- poll:   long polling of each configured platform (Telegram, Zalo Bot) -> inbox; inbox
          processor; one delivery worker per platform; the web server for /healthz, the
          verification page, download links and the Zalo Official Account's webhook (the
          OA has no polling).
- serve:  web server (webhooks, /healthz, /verify) -> inbox; inbox processor; delivery worker
          (or the web server alone, leaving the inbox to `worker` processes).
- worker: inbox processor and delivery worker only (run several for more throughput).
Each mode also runs the scheduler (digests, reminders and campaigns, clean-up) and the
broadcast runner. Every part is safe to run in several processes at once.
- serve --verify-only: the verification pages and /healthz alone, without any chat token.
A real channel (one on the platform's own servers) starts only with a PUBLIC_URL that others
can open: the QR codes of certificates printed meanwhile would be unverifiable for ever.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot import jobs
from bot.channels import files, telegram, zalo_bot, zalo_oa
from bot.channels.zalo_oa_tokens import OAuthClient, TokenKeeper
from bot.delivery.broadcasts import BroadcastRunner
from bot.delivery.sender import Sender
from bot.delivery.window import ProactiveBudget
from bot.delivery.worker import DeliveryWorker
from bot.documents.certificates import public_url_problem
from bot.heartbeat import Heartbeat
from bot.inbox import Inbound, InboxProcessor, InboxWriter
from bot.pushes import Pushes, rules_from
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.wakeups import Listener, listens
from storage.db import make_sessionmaker
from storage.repositories.inbox import NEW_UPDATES, NewUpdate

if TYPE_CHECKING:
    from bot.web.server import HealthRules

log = logging.getLogger(__name__)
# Zalo Bot's older API address, still served: as official as the current one.
ZALO_BOT_OLD_API = "https://bot-api.zapps.me"


def official_channels(settings: Settings) -> list[str]:
    """The configured channels that talk to the platform's own servers (not to a fake or
    another API server given in the settings): people reach the bot through these."""
    default = Settings.model_fields
    return [
        name
        for name, configured, official in (
            ("Telegram", settings.telegram_bot_token, settings.telegram_api_url is None),
            (
                "Zalo Bot",
                settings.zalo_bot_token,
                settings.zalo_bot_api_url
                in (default["zalo_bot_api_url"].default, ZALO_BOT_OLD_API),
            ),
            (
                "Zalo OA",
                settings.zalo_oa_app_id,
                settings.zalo_oa_api_url == default["zalo_oa_api_url"].default,
            ),
        )
        if configured and official
    ]


@asynccontextmanager
async def listening(app: web.Application, host: str, port: int) -> AsyncIterator[None]:
    # The web server's modules (console, templates, pages) load only in processes that
    # serve: a `worker` has no use for their memory.
    from bot.web import guard

    runner = web.AppRunner(app, access_log_class=guard.AccessLogger)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening on http://%s:%s", host, port)
    try:
        yield
    finally:
        await runner.cleanup()


def health_rules(settings: Settings) -> HealthRules:
    from bot.web.server import HealthRules

    return HealthRules(
        settings.health_token,
        timedelta(seconds=settings.health_max_delay_seconds),
        timedelta(hours=settings.health_dead_letter_hours),
    )


async def verify_site(runtime: Runtime, stop: asyncio.Event) -> None:
    """`serve --verify-only`: the certificates' verification pages and /healthz until stop,
    and nothing else: no chat token needed, no inbox read, nothing sent (webhooks refuse
    every update, as no secret is set)."""
    settings = runtime.settings
    from bot.web.server import make_app

    app = make_app(
        make_sessionmaker(runtime.db),
        webhook_secret="",
        health={"mode": "verify-only"},
        certificates=runtime.certificates,
        catalogs=runtime.engine.catalogs,
        health_rules=health_rules(settings),
    )
    async with listening(app, settings.host, settings.port):
        await stop.wait()


class Services:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        if not (settings.telegram_bot_token or settings.zalo_bot_token or settings.zalo_oa_app_id):
            raise SystemExit("None of TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN, ZALO_OA_APP_ID is set")
        live = official_channels(settings)
        if live and (problem := public_url_problem(settings.public_url)) is not None:
            raise SystemExit(f"{problem} (refused to start {' and '.join(live)})")
        self.runtime = runtime
        self.sessions = make_sessionmaker(runtime.db)
        self.documents = documents = runtime.documents(self.sessions)
        self.bot = (
            telegram.make_bot(settings.telegram_bot_token, settings.telegram_api_url)
            if settings.telegram_bot_token
            else None
        )
        self.zalo = (
            zalo_bot.ZaloBotApi(settings.zalo_bot_token, settings.zalo_bot_api_url)
            if settings.zalo_bot_token
            else None
        )
        self.oa_tokens = (
            TokenKeeper(
                self.sessions,
                OAuthClient(
                    settings.zalo_oa_app_id, settings.zalo_oa_app_secret, settings.zalo_oauth_url
                ),
            )
            if settings.zalo_oa_app_id
            else None
        )
        self.zalo_oa = (
            zalo_oa.ZaloOAApi(self.oa_tokens, settings.zalo_oa_api_url)
            if self.oa_tokens is not None
            else None
        )
        inbound: dict[str, Inbound] = {}
        senders: list[tuple[Sender, float]] = []
        # How the console reads the evidence citizens sent on each channel.
        self.readers: dict[str, files.Reader] = {}
        if self.bot is not None:
            inbound[telegram.CHANNEL] = telegram.TelegramInbound(self.bot)
            senders.append((telegram.TelegramSender(self.bot), settings.telegram_global_rate))
            self.readers[telegram.CHANNEL] = files.telegram(self.bot)
        if self.zalo is not None:
            inbound[zalo_bot.CHANNEL] = zalo_bot.ZaloBotInbound()
            senders.append((zalo_bot.ZaloBotSender(self.zalo), settings.zalo_global_rate))
            self.readers[zalo_bot.CHANNEL] = files.media(settings.zalo_bot_api_url)
        if self.zalo_oa is not None:
            inbound[zalo_oa.CHANNEL] = zalo_oa.ZaloOAInbound()
            senders.append((zalo_oa.ZaloOASender(self.zalo_oa), settings.zalo_oa_global_rate))
            self.readers[zalo_oa.CHANNEL] = files.media(settings.zalo_oa_api_url)
        # The monthly budgets of channels whose capabilities allow proactive messages at a
        # cost (a channel with none configured sends only within its reply window).
        budgets = {
            "zalo_oa": ProactiveBudget(
                settings.zalo_oa_proactive_monthly, settings.zalo_oa_proactive_reserve
            )
        }
        # Who this process is to the others: what it claims is released soon after it dies.
        self.heartbeat = Heartbeat(self.sessions, on_released=self._wake_delivery)
        # One worker per channel: each keeps its own platform's pace.
        self.deliveries = {
            sender.channel: DeliveryWorker(
                self.sessions,
                sender,
                global_rate=rate,
                documents=documents,
                proactive=budgets.get(sender.channel),
                owner=self.heartbeat.id,
            )
            for sender, rate in senders
        }
        self.processor = InboxProcessor(
            self.sessions,
            runtime.engine,
            inbound,
            on_processed=self._wake_delivery,
            claims=runtime.db.dialect.name == "postgresql",
        )
        rules = rules_from(settings)
        self.broadcasts = BroadcastRunner(
            self.sessions,
            runtime.engine.catalogs,
            rate=settings.telegram_global_rate,
            rules=rules,
            on_queued=self._wake_delivery,
        )
        self.writer = InboxWriter(self.sessions)
        self.scheduler = Scheduler(
            self.sessions,
            jobs.chosen(
                settings.scheduled_jobs,
                [
                    jobs.review_digest(
                        runtime.content,
                        runtime.engine.catalogs,
                        hour=settings.review_digest_hour,
                        remind_days=settings.review_remind_days,
                        escalate_days=settings.review_escalate_days,
                    ),
                    jobs.daily_pushes(
                        Pushes(
                            self.sessions,
                            runtime.content,
                            runtime.engine.catalogs,
                            rules,
                        )
                    ),
                    jobs.retention(
                        self.sessions,
                        inbox_days=settings.inbox_retention_days,
                        dedupe_days=settings.dedupe_retention_days,
                        outbox_days=settings.outbox_retention_days,
                    ),
                    jobs.deferred_expiry(settings.deferred_expiry_days),
                ],
            ),
            owner=self.heartbeat.id,
        )
        self.stop = asyncio.Event()
        self.health: dict[str, Any] = {}

    def _wake_delivery(self) -> None:
        for worker in self.deliveries.values():
            worker.wake.set()

    def _storer(self, row: Callable[[dict[str, Any]], NewUpdate]) -> zalo_bot.Store:
        async def store(update: dict[str, Any]) -> None:
            await self.writer.store(row(update))
            self.processor.wake.set()

        return store

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
        # Every process keeps the OA's tokens fresh; the database lease lets one refresh.
        tokens = self.oa_tokens
        refresher = [self._keep("zalo_oa_tokens", lambda: tokens.run(self.stop))] if tokens else []
        wakeups = []
        if listens(url := self.runtime.db.url):
            # Updates stored by another process (a web-only `serve`) wake this processor.
            listener = Listener(url, {NEW_UPDATES: self.processor.wake.set})
            wakeups.append(self._keep("wakeups", lambda: listener.run(self.stop)))
        return [
            *refresher,
            *wakeups,
            self._keep("inbox", lambda: self.processor.run(self.stop)),
            *(
                self._keep(f"delivery:{channel}", lambda worker=worker: worker.run(self.stop))
                for channel, worker in self.deliveries.items()
            ),
            self._keep("broadcasts", lambda: self.broadcasts.run(self.stop)),
            self._keep("scheduler", lambda: self.scheduler.run(self.stop)),
        ]

    async def _run(self, *parts: Awaitable[None]) -> None:
        await self.runtime.engine.prepare()
        if self.bot is not None:
            try:
                await telegram.set_commands(self.bot, self.runtime.engine.catalogs)
            except Exception as exc:  # a menu is a nicety; the bot works without one
                log.warning("could not set the command menu: %s", exc)
        # What is loaded by now (libraries, content) lives as long as the services: the
        # garbage collector need not walk it again while they run. A full collection over it
        # takes about 0.2 s of CPU here, during which nothing is sent or answered.
        gc.collect()
        gc.freeze()
        # Before any claim: what this process claims must be known as its own.
        await self.heartbeat.join()
        try:
            await asyncio.gather(
                self._keep("heartbeat", lambda: self.heartbeat.run(self.stop)), *parts
            )
        finally:
            gc.unfreeze()
            try:
                await self.heartbeat.leave()
            except Exception as exc:  # the database may be what stopped us; others will bury us
                log.warning("could not leave the workers cleanly: %s", exc)
            if self.bot is not None:
                await self.bot.close()
            if self.zalo is not None:
                await self.zalo.close()
            if self.zalo_oa is not None:
                await self.zalo_oa.close()

    async def poll(self) -> None:
        # Both platforms refuse getUpdates while a webhook is set.
        pollers: list[Awaitable[None]] = []
        if (bot := self.bot) is not None:
            await bot.call("deleteWebhook")
            to_inbox = self._storer(telegram.inbox_row)
            pollers.append(self._keep("polling", lambda: telegram.poll(bot, to_inbox, self.stop)))
        if (zalo := self.zalo) is not None:
            await zalo.call("deleteWebhook")
            to_zalo_inbox = self._storer(zalo_bot.inbox_row)
            pollers.append(
                self._keep(
                    "polling:zalo_bot", lambda: zalo_bot.poll(zalo, to_zalo_inbox, self.stop)
                )
            )
        # The polled platforms' webhooks are refused here (no secrets need be set), but the
        # rest of the site answers: health, the links the bot sends, and the OA's webhook.
        async with self._site(webhook_secret="", zalo_webhook_secret=""):
            await self._run(*pollers, *self._workers())

    async def serve(self, *, with_workers: bool = True) -> None:
        settings = self.runtime.settings
        if self.bot is not None and not settings.webhook_secret:
            raise SystemExit("WEBHOOK_SECRET is not set: the webhook would accept anyone")
        if self.zalo is not None and not settings.zalo_webhook_secret:
            raise SystemExit("ZALO_WEBHOOK_SECRET is not set: the webhook would accept anyone")
        async with self._site(
            webhook_secret=settings.webhook_secret,
            zalo_webhook_secret=settings.zalo_webhook_secret,
        ):
            await self._run(*(self._workers() if with_workers else []))

    @asynccontextmanager
    async def _site(self, **secrets: str) -> AsyncIterator[None]:
        settings = self.runtime.settings
        if self.zalo_oa is not None and not settings.zalo_oa_secret_key:
            raise SystemExit("ZALO_OA_SECRET_KEY is not set: the OA webhook would accept anyone")
        from bot.web.server import make_app

        app = make_app(
            self.sessions,
            **secrets,
            zalo_oa=(
                (settings.zalo_oa_app_id, settings.zalo_oa_secret_key)
                if self.zalo_oa is not None
                else None
            ),
            on_stored=self.processor.wake.set,
            health=self.health,
            certificates=self.runtime.certificates,
            catalogs=self.runtime.engine.catalogs,
            documents=self.documents,
            health_rules=health_rules(settings),
            zalo_oa_max_age=timedelta(days=settings.dedupe_retention_days),
            console=self.runtime.console(self.sessions, self.documents, self.readers),
        )
        async with listening(app, settings.host, settings.port):
            yield

    async def worker(self) -> None:
        await self._run(*self._workers())
