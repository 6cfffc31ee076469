"""A broadcast whose worker process is killed (SIGKILL) about half-way: after a restart every
recipient has it, and only messages in flight at the kill can arrive twice.

The bound: the worker records a claim's deliveries together once the claim is through, and
claims the next batch while the last one finishes, so what the kill can leave sent but
unrecorded is at most two claims, the rows still marked "sending". The restarted worker finds
their owner dead as it starts and takes them again at once (not when their lease ends), and
sends them again. So duplicates <= the rows in flight <= two of the worker's batches.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import Broadcast, OutboxMessage, OutboxStatus, utcnow
from storage.repositories import broadcasts
from storage.repositories.segments import Segment
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.procfile import bot
from tests.storage.factories import chat_of, populate_sqlite

fake_telegram = fixtures.fake_telegram
ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 600
RATE = 100  # messages a second: the kill comes after about three seconds of sending
BATCH = max(10, min(500, RATE // 2))  # the worker's claim at this rate (bot/delivery)
# A worker claims its next batch while the last one finishes: at most two are in flight.
IN_FLIGHT = 2 * BATCH
TEXT = "Họp chi hội tối thứ Bảy"


def worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        bot("worker"),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def received(fake: FakeTelegram) -> Counter[int]:
    return Counter(
        chat
        for chat in range(1_000_001, 1_000_001 + PEOPLE)
        for m in fake.sent(chat)
        if m["method"] == "sendMessage" and TEXT in (m["text"] or "")
    )


async def test_killed_half_way_every_recipient_has_it_once_but_for_the_in_flight(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "cdht.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade_async(url)
    populate_sqlite(str(path), PEOPLE)
    db = create_engine(url)
    sessions = make_sessionmaker(db)
    async with sessions() as session, session.begin():
        b = await broadcasts.create(
            session, text=TEXT, segment=Segment(), author_user_id=None, now=utcnow()
        )
        broadcasts.schedule(b, utcnow(), utcnow())
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": fake_telegram.token,
        "TELEGRAM_API_URL": fake_telegram.base_url,
        "TELEGRAM_GLOBAL_RATE": str(RATE),
        "QUIET_HOURS": "00:00-00:00",  # never quiet
        # Only the broadcast is sent: the yearly campaigns (1-10 December...) would write to
        # the same people on some days of the year and not on others.
        "SCHEDULED_JOBS": "none",
    }

    first = worker(env)
    try:
        async with asyncio.timeout(120):
            # About half-way, and in the middle of a claim (they begin at multiples of BATCH).
            while received(fake_telegram).total() < PEOPLE // 2 + BATCH // 2:
                assert first.poll() is None, first.stderr.read().decode()
                await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
    finally:
        first.kill()
    # Requests that reached the fake's socket before the kill are still answered: let it
    # read them before counting.
    await asyncio.sleep(1)
    before = received(fake_telegram)
    assert PEOPLE // 2 <= before.total() < PEOPLE

    async with sessions() as session:
        in_flight, recorded = [
            await session.scalar(select(func.count()).where(OutboxMessage.status == status))
            for status in (OutboxStatus.SENDING, OutboxStatus.SENT)
        ]
    assert in_flight <= IN_FLIGHT

    second = worker(env)
    try:
        async with asyncio.timeout(120):
            while True:
                async with sessions() as session:
                    status = await session.scalar(select(Broadcast.status))
                if status == "done":
                    break
                assert second.poll() is None, second.stderr.read().decode()
                await asyncio.sleep(0.1)
    finally:
        second.terminate()
        assert second.wait(30) == 0, second.stderr.read().decode()
    await db.dispose()

    after = received(fake_telegram)
    assert set(after) == {int(chat_of(n)) for n in range(1, PEOPLE + 1)}  # no one left out
    # Sent twice: exactly those delivered before the kill whose delivery was not recorded.
    twice = after.total() - PEOPLE
    assert twice == before.total() - recorded <= in_flight <= IN_FLIGHT
