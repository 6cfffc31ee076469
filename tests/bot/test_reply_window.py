"""Delivery on a channel with a reply window (Zalo OA's rule: 8 free replies within 48 h of
the person's last message, then proactive messages from a monthly budget, else deferred),
through a test channel that declares it, on every database backend, in virtual time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot import jobs
from bot.channels.capabilities import OA_WINDOW, TELEGRAM, Capabilities
from bot.delivery.broadcasts import BroadcastRunner
from bot.delivery.errors import OutsideWindow, Temporary, UnknownOutcome
from bot.delivery.window import ProactiveBudget
from bot.delivery.worker import DeliveryWorker
from bot.pushes import PushRules
from bot.scheduler import Scheduler
from handlers.events import Reply
from handlers.i18n import load_catalogs
from storage.db import create_engine, make_sessionmaker
from storage.models import BroadcastStatus, ChatWindow, OutboxMessage, OutboxStatus
from storage.repositories import broadcasts, outbox, windows
from storage.repositories.segments import Segment
from tests.bot.virtual_time import VirtualTime
from tests.storage.factories import T0, Sessions, chat_of, create_person, enqueue

CHANNEL = "oa_test"
WINDOWED = Capabilities(
    max_text=2000, max_caption=2000, buttons=True, uploads=False, reply_window=OA_WINDOW
)
MONTH = "2025-03"  # T0's month in Vietnam


@dataclass(frozen=True)
class Sent:
    chat_id: str
    text: str
    reply_to: str | None


@dataclass
class WindowedSender:
    """Records what it is asked to send, and as what: a reply (quoting) or proactive."""

    channel: str = CHANNEL
    capabilities: Capabilities = WINDOWED
    sent: list[Sent] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)  # per chat, in turn

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> str:
        if self.failures.get(chat_id):
            raise self.failures[chat_id].pop(0)
        self.sent.append(Sent(chat_id, reply.text, reply_to))
        return f"oa-{len(self.sent)}"

    def is_group(self, chat_id: str) -> bool:
        return False


def worker(
    sessions: Sessions, sender: Any, time: VirtualTime, budget: ProactiveBudget | None = None
) -> DeliveryWorker:
    return DeliveryWorker(
        sessions,
        sender,
        global_rate=1000.0,
        batch=4,
        clock=time.clock,
        monotonic=time.monotonic,
        sleep=time.sleep,
        proactive=budget,
    )


async def drain(*workers: DeliveryWorker) -> None:
    """Run the workers side by side until none finds anything due."""
    while sum(await asyncio.gather(*(w.run_once() for w in workers))):
        pass


async def person_writes(sessions: Sessions, chat: str, message_id: str, time: VirtualTime) -> None:
    """What the engine does in the transaction of the person's message."""
    async with sessions() as session, session.begin():
        await windows.opened(
            session,
            [windows.Inbound(CHANNEL, chat, message_id, time.now)],
            time.now,
            expire_before=time.now - timedelta(days=7),
        )


async def states(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.payload["text"], m.status) for m in found]


async def spent(sessions: Sessions) -> int:
    async with sessions() as session:
        return await windows.proactive_used(session, CHANNEL, MONTH)


async def test_replies_in_the_window_quote_the_persons_message_and_are_counted(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await person_writes(session_factory, "c1", "msg-1", time)
    await enqueue(session_factory, ["c1"] * 3, channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()

    await drain(worker(session_factory, sender, time))

    assert sender.sent == [Sent("c1", f"c1:{n}", "msg-1") for n in range(3)]
    async with session_factory() as session:
        assert (await session.get_one(ChatWindow, (CHANNEL, "c1"))).replies_used == 3
    assert await spent(session_factory) == 0


async def test_the_ninth_reply_goes_proactive_within_the_budget_and_the_tenth_waits(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await person_writes(session_factory, "c1", "msg-1", time)
    await enqueue(session_factory, ["c1"] * 10, channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()

    await drain(worker(session_factory, sender, time, ProactiveBudget(monthly=1)))

    assert [s.reply_to for s in sender.sent] == ["msg-1"] * 8 + [None]
    assert [s.text for s in sender.sent] == [f"c1:{n}" for n in range(9)]
    assert (await states(session_factory))[-1] == ("c1:9", OutboxStatus.DEFERRED)
    assert await spent(session_factory) == 1


async def test_after_48_hours_messages_go_proactive_until_the_budget_is_spent(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await person_writes(session_factory, "c1", "msg-1", time)
    await person_writes(session_factory, "c2", "msg-2", time)
    time.move_to(T0 + timedelta(hours=48))
    await enqueue(session_factory, ["c1", "c2", "c3"], channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()

    await drain(worker(session_factory, sender, time, ProactiveBudget(monthly=2)))

    assert sender.sent == [Sent("c1", "c1:0", None), Sent("c2", "c2:1", None)]
    assert (await states(session_factory))[-1] == ("c3:2", OutboxStatus.DEFERRED)


async def test_without_a_budget_nothing_goes_outside_the_window(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await enqueue(session_factory, ["c1"], channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()

    await drain(worker(session_factory, sender, time))

    assert sender.sent == []
    assert await states(session_factory) == [("c1:0", OutboxStatus.DEFERRED)]


async def test_writing_again_releases_the_deferred_messages_in_order_as_replies(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await enqueue(session_factory, ["c1"] * 3 + ["c2"], channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()
    first = worker(session_factory, sender, time)
    await drain(first)
    assert sender.sent == []

    time.move_to(T0 + timedelta(days=2))
    await person_writes(session_factory, "c1", "msg-9", time)
    await drain(first)

    assert sender.sent == [Sent("c1", f"c1:{n}", "msg-9") for n in range(3)]
    assert (await states(session_factory))[-1] == ("c2:3", OutboxStatus.DEFERRED)


async def test_broadcasts_leave_the_reserve_to_notices_and_do_not_hold_them_up(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    # One chat: its broadcast, queued first, is the oldest of its messages.
    await enqueue(session_factory, ["c1"], kind="broadcast", channel=CHANNEL, user_id=user_id)
    await enqueue(session_factory, ["c1"], kind="notice", channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()

    await drain(worker(session_factory, sender, time, ProactiveBudget(monthly=1, reserve=1)))

    assert sender.sent == [Sent("c1", "c1:0", None)]
    assert await states(session_factory) == [
        ("c1:0", OutboxStatus.DEFERRED),  # the broadcast
        ("c1:0", OutboxStatus.SENT),  # the notice, from the reserve
    ]


async def test_a_send_the_platform_refused_gives_back_its_count_an_unknown_one_keeps_it(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await person_writes(session_factory, "c1", "msg-1", time)
    await enqueue(session_factory, ["c1", "c2", "c3"], channel=CHANNEL, user_id=user_id)
    sender = WindowedSender(
        failures={
            "c1": [Temporary("502")],  # a reply
            "c2": [Temporary("502")],  # proactive
            "c3": [UnknownOutcome("timed out")],  # proactive, and may have arrived
        }
    )
    delivery = worker(session_factory, sender, time, ProactiveBudget(monthly=5))

    await drain(delivery)
    time.move_to(T0 + timedelta(minutes=10))  # past every backoff
    await drain(delivery)

    assert sorted(sender.sent, key=lambda s: s.chat_id) == [
        Sent("c1", "c1:0", "msg-1"),
        Sent("c2", "c2:1", None),
        Sent("c3", "c3:2", None),
    ]
    async with session_factory() as session:
        assert (await session.get_one(ChatWindow, (CHANNEL, "c1"))).replies_used == 1
    assert await spent(session_factory) == 3  # c2 once, c3 twice


async def test_a_message_the_platform_refuses_outside_its_window_is_deferred(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await enqueue(session_factory, ["c1", "c1"], channel=CHANNEL, user_id=user_id)
    sender = WindowedSender(failures={"c1": [OutsideWindow("quota exceeded")]})

    await drain(worker(session_factory, sender, time, ProactiveBudget(monthly=5)))

    assert sender.sent == [Sent("c1", "c1:1", None)]  # the next one was not held up
    assert (await states(session_factory))[0] == ("c1:0", OutboxStatus.DEFERRED)


async def test_two_workers_never_spend_more_than_the_budget(
    db_url: str, session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    chats = [f"c{n}" for n in range(20)]
    await enqueue(session_factory, chats, kind="reminder", channel=CHANNEL, user_id=user_id)
    sender = WindowedSender()
    budget = ProactiveBudget(monthly=7)
    other_engine = create_engine(db_url)
    try:
        workers = [
            worker(session_factory, sender, time, budget),
            worker(make_sessionmaker(other_engine), sender, time, budget),
        ]
        await drain(*workers)
    finally:
        await other_engine.dispose()

    assert len(sender.sent) == 7
    assert len({s.chat_id for s in sender.sent}) == 7  # nobody twice
    assert [state for _, state in await states(session_factory)].count("deferred") == 13
    assert await spent(session_factory) == 7


async def test_a_channel_without_a_window_quotes_nothing_and_counts_nothing(
    session_factory: Sessions, user_id: int
) -> None:
    time = VirtualTime(T0)
    await enqueue(session_factory, ["c1", "c2"], user_id=user_id)  # Telegram's
    sender = WindowedSender(channel="telegram", capabilities=TELEGRAM)

    await drain(worker(session_factory, sender, time, ProactiveBudget(monthly=1)))

    assert sender.sent == [Sent("c1", "c1:0", None), Sent("c2", "c2:1", None)]
    async with session_factory() as session:
        assert await windows.proactive_used(session, "telegram", MONTH) == 0


async def test_a_broadcast_is_done_with_its_deferred_recipients_counted(
    session_factory: Sessions,
) -> None:
    time = VirtualTime(T0)
    author = await create_person(session_factory)
    people = [await create_person(session_factory, channel=CHANNEL) for _ in range(3)]
    await person_writes(session_factory, chat_of(people[0]), "msg-1", time)
    async with session_factory() as session, session.begin():
        b = await broadcasts.create(
            session,
            text="Họp chi hội tối thứ Bảy",
            segment=Segment(),
            author_user_id=author,
            now=T0,
            progress_chat=("telegram", chat_of(author)),
        )
        broadcasts.schedule(b, T0, T0)
        broadcast_id = b.id
    runner = BroadcastRunner(
        session_factory,
        load_catalogs(),
        rate=25,
        rules=PushRules(quiet_from=T0.time(), quiet_until=T0.time()),  # never quiet
        clock=time.clock,
    )
    sender = WindowedSender()
    telegram = WindowedSender(channel="telegram", capabilities=TELEGRAM)  # the author's
    workers = worker(session_factory, sender, time), worker(session_factory, telegram, time)
    await runner.run_once()  # starts and queues everyone
    await drain(*workers)  # no proactive budget on the windowed channel
    await runner.run_once()

    assert [s.chat_id for s in sender.sent] == [chat_of(people[0])]
    async with session_factory() as session:
        b = await broadcasts.get(session, broadcast_id)
        assert b is not None
        stats = await broadcasts.stats(session, b)
        final = await session.scalar(
            select(OutboxMessage.payload)
            .where(OutboxMessage.chat_id == chat_of(author), OutboxMessage.kind == "notice")
            .order_by(OutboxMessage.id.desc())
        )
    assert b.status == BroadcastStatus.DONE
    # Sent: the one who had written, and the author (on Telegram, a recipient too).
    assert (stats.sent, stats.deferred, stats.waiting) == (2, 2, 0)
    assert final is not None and "ĐÃ GỬI XONG" in final["text"]
    assert "Chờ người nhận nhắn lại (ngoài khung trả lời miễn phí): 2" in final["text"]

    # Their window never opens again: a week later the nightly expiry drops them.
    async with session_factory() as session, session.begin():
        now = T0 + timedelta(days=8)
        await outbox.expire_deferred(session, now - timedelta(days=7), now)
        stats = await broadcasts.stats(session, b)
    assert (stats.deferred, stats.expired, stats.finished) == (0, 2, 4)


async def test_the_nightly_jobs_expire_stale_deferred_messages_and_forget_closed_windows(
    session_factory: Sessions, user_id: int
) -> None:
    night = T0 + timedelta(days=8, hours=12)  # 03:00 in Vietnam
    await person_writes(session_factory, "c1", "msg-1", VirtualTime(T0))
    ids = await enqueue(session_factory, ["c1"], kind="reminder", channel=CHANNEL, user_id=user_id)
    async with session_factory() as session, session.begin():
        await outbox.defer(session, ids, T0)
    scheduler = Scheduler(
        session_factory,
        [
            jobs.deferred_expiry(days=7),
            jobs.retention(session_factory, inbox_days=7, dedupe_days=30, outbox_days=30),
        ],
        clock=lambda: night,
    )

    assert sorted(await scheduler.tick()) == ["deferred.expiry", "retention"]

    assert await states(session_factory) == [("c1:0", OutboxStatus.CANCELLED)]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ChatWindow)) == 0
