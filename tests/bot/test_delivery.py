"""The delivery worker against a fake platform, on every database backend, in virtual time:
no test waits for a real second."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.capabilities import TELEGRAM
from bot.delivery import worker as worker_module
from bot.delivery.errors import Rejected, RetryAfter, Temporary, UnknownOutcome, Unreachable
from bot.delivery.pacing import HEADROOM
from bot.delivery.worker import FAILURE_PAUSE, DeliveryWorker
from handlers.events import Reply
from storage.db import create_engine, make_sessionmaker
from storage.models import ChannelIdentity, OutboxMessage, OutboxStatus
from storage.repositories import outbox
from tests.bot.virtual_time import VirtualTime
from tests.storage.factories import T0, Sessions, enqueue

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Received:
    chat_id: str
    text: str
    at: datetime
    by: str


@dataclass
class Platform:
    """What the workers' senders reach. It records every try and every message received,
    fails or delays the sends scripted for a chat, and says ``done`` once ``expected`` have
    arrived.

    It also notes each chat that had two sends in flight at once: concurrent requests may
    arrive in any order, so that is how a chat's order gets lost. To make sends overlap it
    can hold every answer until ``hold`` sends are in flight together, or the answer to one
    chat until another chat has received its message (``held_until``)."""

    time: VirtualTime
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # seconds a send to a chat takes
    expected: int | None = None
    hold: int = 0
    held_until: dict[str, str] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    typing: list[str] = field(default_factory=list)  # chats shown the bot at work
    received: list[Received] = field(default_factory=list)
    overlapping: list[str] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    answering: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def texts(self) -> list[str]:
        return [r.text for r in self.received]


class FakeSender:
    channel = "telegram"
    capabilities = TELEGRAM

    def __init__(self, platform: Platform, name: str = "worker") -> None:
        self.platform = platform
        self.name = name

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> str | None:
        platform = self.platform
        platform.tried.append(chat_id)
        if platform.in_flight[chat_id]:
            platform.overlapping.append(chat_id)
        platform.in_flight[chat_id] += 1
        try:
            if platform.in_flight.total() >= platform.hold:
                platform.answering.set()
            await platform.answering.wait()
            if chat_id in platform.delays:
                await platform.time.sleep(platform.delays[chat_id])
            if chat_id in platform.held_until:
                await platform.arrived[platform.held_until[chat_id]].wait()
            if platform.failures.get(chat_id):
                raise platform.failures[chat_id].pop(0)
        finally:
            platform.in_flight[chat_id] -= 1
        platform.received.append(Received(chat_id, reply.text, platform.time.now, self.name))
        platform.arrived[chat_id].set()
        if len(platform.received) == platform.expected:
            platform.done.set()
        return f"tg-{len(platform.received)}"

    async def typing(self, chat_id: str) -> None:
        self.platform.typing.append(chat_id)

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")


class Ceiling(random.Random):
    """Full jitter at its ceiling, so that backoff times are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make_worker(
    sessions: Sessions, platform: Platform, name: str = "worker", **options: Any
) -> DeliveryWorker:
    time = platform.time
    settings: dict[str, Any] = {
        "global_rate": 1000.0,
        "clock": time.clock,
        "monotonic": time.monotonic,
        "sleep": time.sleep,
        "rng": Ceiling(),
    }
    return DeliveryWorker(sessions, FakeSender(platform, name), **(settings | options))


async def rows(session_factory: Sessions) -> list[OutboxMessage]:
    async with session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def row(session_factory: Sessions, message_id: int) -> OutboxMessage:
    async with session_factory() as session:
        return await session.get_one(OutboxMessage, message_id)


async def test_two_workers_deliver_every_message_once_and_each_chat_in_order(
    db_url: str, session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    # Each chat's messages queued together: a worker that took several of one chat at once
    # would race the other worker over them.
    queued = [str(chat) for chat in range(9) for _ in range(5)]
    await enqueue(session_factory, queued, user_id=user_id)
    platform.expected = 45
    # Answer nothing until nine are in flight: more than the two batches of three that one
    # worker holds at most, so both workers' batches are.
    platform.hold = 9
    other_engine = create_engine(db_url)
    try:
        workers = [
            make_worker(session_factory, platform, "first", batch=3),
            make_worker(make_sessionmaker(other_engine), platform, "second", batch=3),
        ]
        await asyncio.wait_for(
            asyncio.gather(*(worker.run(platform.done) for worker in workers)), timeout=60
        )
    finally:
        await other_engine.dispose()

    by_chat: dict[str, list[int]] = defaultdict(list)
    for received in platform.received:
        by_chat[received.chat_id].append(int(received.text.split(":")[1]))
    assert platform.overlapping == []
    assert by_chat == {chat: sorted(positions) for chat, positions in by_chat.items()}
    assert sorted(platform.texts()) == sorted(f"{c}:{n}" for n, c in enumerate(queued))
    assert {received.by for received in platform.received} == {"first", "second"}
    assert {m.status for m in await rows(session_factory)} == {OutboxStatus.SENT}


async def test_replies_go_before_bulk_messages(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, ["b1", "b2"], kind="reminder", user_id=user_id)
    await enqueue(session_factory, ["r1", "r2"], user_id=user_id)
    worker = make_worker(session_factory, platform, batch=2)

    await worker.run_once()
    assert [r.chat_id for r in platform.received] == ["r1", "r2"]
    await worker.run_once()
    assert [r.chat_id for r in platform.received] == ["r1", "r2", "b1", "b2"]


async def test_the_next_full_batch_is_sent_while_the_last_one_is_still_finishing(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, [str(chat) for chat in range(1, 9)], user_id=user_id)
    # The first batch's last send is answered only after the second batch has gone out:
    # a worker that claimed the next batch only after finishing this one would wait forever.
    platform.held_until = {"4": "8"}
    platform.expected = 8
    worker = make_worker(session_factory, platform, batch=4)

    await asyncio.wait_for(worker.run(platform.done), timeout=10)

    assert [r.chat_id for r in platform.received] == ["1", "2", "3", "5", "6", "7", "8", "4"]
    assert {m.status for m in await rows(session_factory)} == {OutboxStatus.SENT}


async def test_a_429_pauses_the_channel_for_every_worker_for_exactly_retry_after(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    a, b, c = await enqueue(session_factory, ["a", "b", "c"], user_id=user_id)
    platform.failures = {"a": [RetryAfter(5)]}
    first = make_worker(session_factory, platform, concurrency=1)
    second = make_worker(session_factory, platform)

    assert await first.run_once() == 3
    assert platform.tried == ["a"]  # b and c were held back, not sent into the 429
    [d] = await enqueue(session_factory, ["d"], user_id=user_id)  # due at once, but paused

    platform.time.move_to(T0 + 5 * SECOND - timedelta(microseconds=1))
    assert (await first.run_once(), await second.run_once()) == (0, 0)

    platform.time.move_to(T0 + 5 * SECOND)
    assert await second.run_once() == 4
    assert sorted(platform.texts()) == ["a:0", "b:1", "c:2", "d:0"]
    assert platform.received[0].at == T0 + 5 * SECOND
    assert [(m.id, m.status, m.attempts) for m in await rows(session_factory)] == [
        (a, OutboxStatus.SENT, 2),
        (b, OutboxStatus.SENT, 1),  # a claim handed back unsent is no attempt
        (c, OutboxStatus.SENT, 1),
        (d, OutboxStatus.SENT, 1),
    ]


async def test_temporary_failures_are_retried_with_capped_backoff(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    platform.failures = {"1": [Temporary("502 Bad Gateway"), Temporary("503")]}
    worker = make_worker(session_factory, platform, base_backoff=2.0, max_backoff=6.0)

    await worker.run_once()
    failed = await row(session_factory, message_id)
    assert (failed.status, failed.last_error) == (
        OutboxStatus.PENDING,
        "Temporary: 502 Bad Gateway",
    )
    assert failed.next_attempt_at == T0 + 4 * SECOND  # 2 s * 2 ** attempt 1

    platform.time.move_to(T0 + 4 * SECOND - timedelta(microseconds=1))
    assert await worker.run_once() == 0
    platform.time.move_to(T0 + 4 * SECOND)
    await worker.run_once()
    assert (await row(session_factory, message_id)).next_attempt_at == T0 + 10 * SECOND  # capped

    platform.time.move_to(T0 + 10 * SECOND)
    await worker.run_once()
    assert [(r.text, r.at) for r in platform.received] == [("1:0", T0 + 10 * SECOND)]
    sent = await row(session_factory, message_id)
    assert (sent.status, sent.attempts, sent.platform_message_id) == (
        OutboxStatus.SENT,
        3,
        "tg-1",
    )


async def test_a_message_dies_after_max_attempts_with_the_last_error(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    platform.failures = {"1": [Temporary("500"), Temporary("502"), Temporary("503"), Temporary()]}
    worker = make_worker(session_factory, platform, max_attempts=3, max_backoff=60.0)

    for minute in range(4):
        platform.time.move_to(T0 + timedelta(minutes=minute))
        await worker.run_once()

    dead = await row(session_factory, message_id)
    assert (dead.status, dead.attempts, dead.last_error) == (
        OutboxStatus.DEAD,
        3,
        "Temporary: 503",
    )
    assert platform.tried == ["1"] * 3


async def test_an_unreachable_recipient_is_marked_and_their_messages_cancelled(
    session_factory: Sessions, platform: Platform, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            ChannelIdentity(
                user_id=user_id,
                channel="telegram",
                external_user_id="42",
                chat_id="42",
                created_at=T0,
            )
        )
    await enqueue(session_factory, ["42", "7", "42", "42"], user_id=user_id)
    platform.failures = {"42": [Unreachable("Forbidden: bot was blocked by the user")]}
    worker = make_worker(session_factory, platform)

    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await worker.run_once()
    platform.time.move_to(T0 + timedelta(hours=1))
    assert await worker.run_once() == 0

    assert platform.tried == ["42", "7"]
    assert [(m.chat_id, m.status) for m in await rows(session_factory)] == [
        ("42", OutboxStatus.CANCELLED),
        ("7", OutboxStatus.SENT),
        ("42", OutboxStatus.CANCELLED),
        ("42", OutboxStatus.CANCELLED),
    ]
    async with session_factory() as session:
        identity = await session.scalar(select(ChannelIdentity))
    assert identity is not None and identity.unreachable_at == T0
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.delivery["cancelled"] == 3  # type: ignore[attr-defined]


async def test_a_rejected_message_is_dead_at_once_and_logged_without_its_text(
    session_factory: Sessions, platform: Platform, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    platform.failures = {"1": [Rejected("Bad Request: can't parse entities")]}
    worker = make_worker(session_factory, platform)

    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await worker.run_once()

    dead = await row(session_factory, message_id)
    assert (dead.status, dead.last_error) == (
        OutboxStatus.DEAD,
        "Rejected: Bad Request: can't parse entities",
    )
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.delivery == {  # type: ignore[attr-defined]
        "channel": "telegram",
        "chat_id": "1",
        "outbox_id": message_id,
        "kind": "answer",
        "attempt": 1,
        "error": "Rejected: Bad Request: can't parse entities",
    }
    assert "1:0" not in record.getMessage()


async def test_an_unknown_outcome_is_retried_once_then_dead(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    platform.failures = {"1": [UnknownOutcome("timeout"), UnknownOutcome("timeout")]}
    worker = make_worker(session_factory, platform)

    await worker.run_once()
    unknown = await row(session_factory, message_id)
    assert (unknown.status, unknown.unknown_outcomes) == (OutboxStatus.PENDING, 1)

    platform.time.move_to(unknown.next_attempt_at)
    await worker.run_once()
    dead = await row(session_factory, message_id)
    assert (dead.status, dead.last_error) == (
        OutboxStatus.DEAD,
        "unknown outcome twice: UnknownOutcome: timeout",
    )
    assert platform.tried == ["1", "1"]


async def test_an_unexpected_sender_error_is_retried_and_logged_once(
    session_factory: Sessions, platform: Platform, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    platform.failures = {"1": [KeyError("chat")]}
    worker = make_worker(session_factory, platform)

    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        await worker.run_once()
        platform.time.move_to((await row(session_factory, message_id)).next_attempt_at)
        await worker.run_once()

    [record] = caplog.records
    assert (record.levelno, record.exc_info is not None) == (logging.ERROR, True)
    assert platform.texts() == ["1:0"]


async def test_a_crashed_workers_message_is_taken_again_when_its_lease_ends(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    [message_id] = await enqueue(session_factory, ["1"], user_id=user_id)
    lease = timedelta(seconds=60)
    async with session_factory() as session, session.begin():  # claimed, then never finished
        await outbox.claim(session, channel="telegram", limit=10, now=T0, lease=lease)
    worker = make_worker(session_factory, platform, lease=lease)

    platform.time.move_to(T0 + lease - timedelta(microseconds=1))
    assert await worker.run_once() == 0
    platform.time.move_to(T0 + lease)
    assert await worker.run_once() == 1

    assert platform.texts() == ["1:0"]
    assert (await row(session_factory, message_id)).attempts == 2


async def test_a_batch_that_outlasts_its_lease_leaves_the_rest_unsent_for_reclaim(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, ["1", "2", "3"], user_id=user_id)
    platform.delays = {"1": 11.0}  # the platform hangs on the first send
    worker = make_worker(session_factory, platform, lease=10 * SECOND, concurrency=1)

    await worker.run_once()
    assert platform.tried == ["1"]  # 2 and 3 may belong to another worker by now

    await worker.run_once()
    assert platform.texts() == ["1:0", "2:1", "3:2"]


async def test_messages_to_one_chat_keep_its_pace_after_a_short_burst(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, ["1"] * 5, user_id=user_id)
    worker = make_worker(session_factory, platform, global_rate=1000.0)

    while await worker.run_once():
        pass

    expected = [T0, T0, T0, T0 + SECOND, T0 + 2 * SECOND]  # a burst of three, then 1 a second
    assert [r.at for r in platform.received] == expected


async def test_a_group_chat_gets_twenty_messages_a_minute(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, ["-100"] * 3, user_id=user_id)
    worker = make_worker(session_factory, platform)

    while await worker.run_once():
        pass

    assert [r.at for r in platform.received] == [T0, T0 + 3 * SECOND, T0 + 6 * SECOND]


async def test_the_global_rate_holds_across_chats_sent_concurrently(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, [str(n) for n in range(8)], user_id=user_id)
    worker = make_worker(session_factory, platform, global_rate=4.0, concurrency=8)

    await worker.run_once()

    step = timedelta(seconds=1 / (4 * HEADROOM))  # a little under four a second
    assert_times([r.at for r in platform.received], [T0 + n * step for n in range(8)])


def assert_times(actual: list[datetime], expected: list[datetime]) -> None:
    """Equal but for the microsecond rounding of virtual time."""
    assert len(actual) == len(expected)
    assert all(
        abs(a - e) <= timedelta(microseconds=2) for a, e in zip(actual, expected, strict=True)
    ), (actual, expected)


async def test_dead_messages_are_counted_and_can_be_requeued(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await enqueue(session_factory, ["1", "2"], user_id=user_id)
    platform.failures = {"1": [Rejected("Bad Request: chat not found")]}
    worker = make_worker(session_factory, platform)
    await worker.run_once()
    async with session_factory() as session:
        assert await outbox.status_counts(session) == {"dead": 1, "sent": 1}

    async with session_factory() as session, session.begin():
        assert await outbox.requeue_dead(session) == 1
    await worker.run_once()

    assert platform.texts() == ["2:1", "1:0"]
    async with session_factory() as session:
        assert await outbox.status_counts(session) == {"sent": 2}


async def test_run_keeps_delivering_after_a_failed_batch_until_stopped(
    session_factory: Sessions, platform: Platform, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue(session_factory, ["1"], user_id=user_id)
    platform.expected = 1
    opened = 0

    def sessions() -> Any:
        nonlocal opened
        opened += 1
        if opened == 1:
            raise ConnectionRefusedError("database unavailable")
        return session_factory()

    worker = make_worker(sessions, platform)  # type: ignore[arg-type]

    with caplog.at_level(logging.ERROR, logger="bot.delivery"):
        await asyncio.wait_for(worker.run(platform.done), timeout=10)

    assert [(r.text, r.at) for r in platform.received] == [
        ("1:0", T0 + timedelta(seconds=FAILURE_PAUSE))
    ]
    assert [r.getMessage() for r in caplog.records] == ["delivery batch failed; retrying"]


async def test_memory_is_given_back_once_when_a_burst_is_over(
    session_factory: Sessions, platform: Platform, user_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await enqueue(session_factory, ["1", "2", "3"], user_id=user_id)
    given_back: list[int] = []  # how many had been received at each call
    monkeypatch.setattr(
        worker_module, "give_back_free_memory", lambda: given_back.append(len(platform.received))
    )
    stop = asyncio.Event()
    sleeps = 0

    async def sleep(seconds: float) -> None:  # the worker's polls while idle, among others
        nonlocal sleeps
        sleeps += 1
        if sleeps == 20:
            stop.set()
        await platform.time.sleep(seconds)

    worker = make_worker(session_factory, platform, sleep=sleep)

    await asyncio.wait_for(worker.run(stop), timeout=10)

    assert len(platform.received) == 3
    assert given_back == [3]
