"""Type-mutated raw updates, thousands per channel, through the real webhooks (in process)
and the real inbox processor on the database: one or two fields of a realistic update
replaced by null, a number, text, a list, an object or 10**30.

Whatever comes, no request gets a 5xx, every stored update ends processed or set aside as
a dead letter (each unreadable one among them, with its reason), and a person who writes
afterwards is answered: nothing halts the queue. FUZZ_SEED and FUZZ_UPDATES (per channel)
repeat or widen a run."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import random
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.channels import telegram, zalo_bot, zalo_oa
from bot.inbox import Inbound, InboxProcessor
from bot.web.server import make_app
from content import Content, load_content
from handlers.engine import Engine
from storage.models import InboxUpdate, OutboxMessage
from storage.repositories import inbox
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.storage.factories import Sessions

SEED = int(os.environ.get("FUZZ_SEED", "20261206"))
UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
SECRET = "fuzz-secret_1"
VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    7,
    1.5,
    True,
    "",
    "x",
    "9" * 25,
    [],
    [1, "a"],
    {},
    {"id": 1},
    10**30,
    -(10**30),
)
CONCURRENCY = 200  # requests in flight: the inbox writer commits them in groups

fake_telegram = fixtures.fake_telegram


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value where another value could stand."""
    found: list[tuple[Any, ...]] = []
    children = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in children:
        found.append((*prefix, key))
        if isinstance(child, dict | list) and child:
            found.extend(paths(child, (*prefix, key)))
    return found


def mutated(update: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The update with one or two of its fields replaced by a value of another type."""
    update = json.loads(json.dumps(update))
    for _ in range(rng.choice((1, 2))):
        *way, last = rng.choice(paths(update))  # again: the first change may remove a path
        parent = update
        for key in way:
            parent = parent[key]
        parent[last] = copy.deepcopy(rng.choice(VALUES))
    return update


class Channel:
    """How one platform's updates are made, posted and read."""

    def __init__(
        self,
        name: str,
        make: Callable[[random.Random, int], dict[str, Any]],
        post: Callable[[TestClient, dict[str, Any]], Any],
        inbound: Inbound,
        person: Callable[[str], dict[str, Any]],
    ) -> None:
        self.name, self.make, self.post, self.inbound, self.person = (
            name,
            make,
            post,
            inbound,
            person,
        )


async def post_json(client: TestClient, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with client.post(path, data=body, headers=headers) as response:
        return response.status


def telegram_channel(fake: FakeTelegram, bot: Any) -> Channel:
    def make(rng: random.Random, n: int) -> dict[str, Any]:
        uid = rng.randrange(1, 400)
        kind = rng.randrange(7)
        if kind == 0:
            return fake.user_press(uid, rng.choice(("consent:yes", "menu", "x")), 1)
        if kind == 1:
            return fake.user_photo(uid)
        if kind == 2:
            return fake.my_chat_member(uid, blocked=rng.random() < 0.5)
        if kind == 3:
            return fake.group_text(uid, -100 - uid, "hi")
        return fake.user_text(uid, rng.choice(("/start", "dong y", "Nguyễn Văn A", "1")))

    async def post(client: TestClient, update: dict[str, Any]) -> int:
        body = json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        return await post_json(client, "/telegram/webhook", body, headers)

    return Channel(
        telegram.CHANNEL,
        make,
        post,
        telegram.TelegramInbound(bot),
        lambda who: fake.user_text(int(who), "/start"),
    )


def zalo_channel() -> Channel:
    fake = FakeZaloBot()  # its update builders only

    def make(rng: random.Random, n: int) -> dict[str, Any]:
        uid = f"zl-{rng.randrange(400)}"
        kind = rng.randrange(5)
        if kind == 0:
            return fake.user_photo(uid)
        if kind == 1:
            return fake.user_sticker(uid)
        return fake.user_text(uid, rng.choice(("/start", "dong y", "Trần Thị B", "1")))

    async def post(client: TestClient, update: dict[str, Any]) -> int:
        body = json.dumps(update).encode()
        headers = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        return await post_json(client, "/zalo/webhook", body, headers)

    return Channel(
        zalo_bot.CHANNEL,
        make,
        post,
        zalo_bot.ZaloBotInbound(),
        lambda who: fake.user_text(who, "/start"),
    )


OA = FakeZaloOA()  # its update builders and signing only


def oa_channel() -> Channel:
    def make(rng: random.Random, n: int) -> dict[str, Any]:
        uid = f"oa-{rng.randrange(400)}"
        kind = rng.randrange(6)
        if kind == 0:
            return OA.user_image(uid)
        if kind == 1:
            return OA.user_file(uid)
        if kind == 2:
            return OA.follow(uid, unfollow=rng.random() < 0.3)
        return OA.user_text(uid, rng.choice(("/start", "dong y", "Lê Văn C", "1")))

    async def post(client: TestClient, update: dict[str, Any]) -> int:
        # Authentic: signed by the OA whatever it holds (the MAC covers its timestamp).
        body = OA.body(update)
        stamp = update.get("timestamp")
        mac = OA.signature({"timestamp": stamp}, body)
        headers = {"X-ZEvent-Signature": mac, "Content-Type": "application/json"}
        return await post_json(client, "/zalo-oa/webhook", body, headers)

    return Channel(
        zalo_oa.CHANNEL,
        make,
        post,
        zalo_oa.ZaloOAInbound(),
        lambda who: OA.user_text(who, "/start"),
    )


async def answered(sessions: Sessions, chat_id: str) -> bool:
    async with sessions() as session:
        found = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.chat_id == chat_id)
        )
        return found is not None


@pytest.fixture
async def telegram_bot_for_fuzz(fake_telegram: FakeTelegram) -> AsyncIterator[Any]:
    bot = fixtures.bot_for(fake_telegram)
    yield bot
    await bot.close()


@pytest.mark.parametrize("channel_name", ["telegram", "zalo_bot", "zalo_oa"])
async def test_mutated_updates_halt_nothing(
    channel_name: str,
    session_factory: Sessions,
    content: Content,
    fake_telegram: FakeTelegram,
    telegram_bot_for_fuzz: Any,
    caplog: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    if backend != "sqlite":
        pytest.skip("the fuzz runs on the embedded database; storage tests cover PostgreSQL")
    channel = {
        "telegram": lambda: telegram_channel(fake_telegram, telegram_bot_for_fuzz),
        "zalo_bot": zalo_channel,
        "zalo_oa": oa_channel,
    }[channel_name]()
    rng = random.Random(f"{SEED}:{channel_name}")
    app = make_app(
        session_factory,
        webhook_secret=SECRET,
        zalo_webhook_secret=SECRET,
        zalo_oa=(OA.app_id, OA.secret_key),
        zalo_oa_max_age=timedelta(days=30),
    )
    processor = InboxProcessor(
        session_factory,
        Engine(session_factory, content),
        {channel.name: channel.inbound},
        batch=400,  # a round of every chat at once: fewer, larger transactions
    )
    statuses: dict[int, int] = {}
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING):
        async with TestClient(TestServer(app)) as client:
            # Processed while they arrive, as in production: a halt would show as a backlog.
            running = asyncio.create_task(processor.run(stop, idle=0.01))
            updates = [mutated(channel.make(rng, n), rng) for n in range(UPDATES)]
            for start in range(0, len(updates), CONCURRENCY):
                answers = await asyncio.gather(
                    *(channel.post(client, u) for u in updates[start : start + CONCURRENCY])
                )
                for status in answers:
                    statuses[status] = statuses.get(status, 0) + 1
            # Someone writing after all that is answered.
            assert await channel.post(client, channel.person("424242")) == 200
            async with asyncio.timeout(60):
                while not await answered(session_factory, "424242"):
                    await asyncio.sleep(0.05)
            stop.set()
            await running
            while await processor.run_once():  # the rest; raises only if the database is away
                pass

    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 400, 401}, statuses
    assert statuses.get(200, 0) > UPDATES // 2, statuses  # most are authentic and kept
    async with session_factory() as session:
        rows = list(await session.scalars(select(InboxUpdate)))
        assert await inbox.pending_count(session) == 0
    dead = {r.id for r in rows if r.dead_at is not None}
    assert all(r.dead_reason for r in rows if r.id in dead)
    assert all(r.processed_at is not None for r in rows if r.id not in dead)
    unreadable = set()
    for row in rows:
        try:
            channel.inbound.to_event(row.payload)
        except Exception:
            unreadable.add(row.id)
    assert unreadable and unreadable <= dead
    # Errors are one line each: no traceback from the webhooks or the processor.
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith(("bot", "aiohttp"))]
    assert not tracebacks, tracebacks[0].getMessage()
