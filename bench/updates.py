"""Webhook updates end to end: POST to our webhook -> inbox -> engine -> outbox -> delivery ->
reply received by a fake Bot API, on SQLite; then the same updates through a bare aiogram
dispatcher with an echo handler (aiogram's own webhook handler), and the ratio.

Each update is a first message from a new person (the bot answers with two messages); they
arrive over 40 concurrent connections, as Telegram sends them.

    python bench/updates.py [--updates 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiogram import Dispatcher
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.runtime import Runtime
from bot.services import Services
from bot.settings import Settings
from content import load_content
from handlers.engine import Engine
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from tests.e2e.telegram_stack import free_port
from tests.fakes.fixtures import bot_for
from tests.fakes.telegram import FakeTelegram

SECRET = "bench-secret"
CONNECTIONS = 40


async def post_all(fake: FakeTelegram, url: str, updates: list[dict]) -> dict[int, float]:
    """Send every update; return when each was posted, by user id."""
    started: dict[int, float] = {}
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for u in updates:
        queue.put_nowait(u)

    async def connection(http: ClientSession) -> None:
        while not queue.empty():
            update = queue.get_nowait()
            started[update["message"]["from"]["id"]] = time.perf_counter()
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as r:
                assert r.status == 200, r.status

    async with ClientSession() as http:
        await asyncio.gather(*(connection(http) for _ in range(CONNECTIONS)))
    return started


async def measure(fake: FakeTelegram, url: str, users: range, replies: int) -> tuple[float, list]:
    updates = [fake.user_text(uid, "xin chào") for uid in users]
    # The fake stamps time.monotonic(); perf_counter is the same clock on Linux.
    offset = time.perf_counter() - time.monotonic()
    t0 = time.perf_counter()
    started = await post_all(fake, url, updates)
    async with asyncio.timeout(600):
        while sum(len(fake.sent(uid)) >= replies for uid in users) < len(users):
            await asyncio.sleep(0.01)
    done = {uid: fake.sent(uid)[replies - 1]["time"] + offset for uid in users}
    elapsed = max(done.values()) - t0
    latencies = sorted((done[uid] - started[uid]) * 1000 for uid in users)
    return len(users) / elapsed, latencies


def describe(name: str, rate: float, latencies: list[float]) -> str:
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return (
        f"{name}: {rate:,.0f} updates/s; POST -> reply latency p50 "
        f"{statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms"
    )


async def ours(fake: FakeTelegram, count: int) -> tuple[float, list]:
    content = load_content()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate.upgrade_async(url)
        db = create_engine(url)
        port = free_port()
        settings = Settings(
            _env_file=None,
            database_url=url,
            telegram_bot_token=fake.token,
            telegram_api_url=fake.base_url,
            webhook_secret=SECRET,
            port=port,
            telegram_global_rate=100_000,
        )
        services = Services(
            Runtime(
                settings=settings,
                content=content,
                db=db,
                engine=Engine(make_sessionmaker(db), content),
            )
        )
        task = asyncio.create_task(services.serve())
        try:
            while services.health.get("delivery") != "running":
                await asyncio.sleep(0.05)
            return await measure(
                fake,
                f"http://127.0.0.1:{port}/telegram/webhook",
                range(1_000_000, 1_000_000 + count),
                replies=2,
            )
        finally:
            services.stop.set()
            await task
            await db.dispose()


async def bare_aiogram(fake: FakeTelegram, count: int) -> tuple[float, list]:
    bot = bot_for(fake)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(app, path="/webhook")
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await measure(
            fake, f"http://127.0.0.1:{port}/webhook", range(2_000_000, 2_000_000 + count), replies=1
        )
    finally:
        await runner.cleanup()
        await bot.session.close()


async def run(count: int) -> None:
    async with FakeTelegram() as fake:
        our_rate, our_latency = await ours(fake, count)
        bare_rate, bare_latency = await bare_aiogram(fake, count)
    print(
        "updates " + describe("CDHT bot (store, engine, outbox, delivery)", our_rate, our_latency)
    )
    print("updates " + describe("bare aiogram echo", bare_rate, bare_latency))
    print(f"updates ratio: {our_rate / bare_rate:.2f} x bare aiogram")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    asyncio.run(run(parser.parse_args().updates))


if __name__ == "__main__":
    main()
