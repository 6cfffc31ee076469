"""Broadcasts at scale.

1. Sending: a broadcast to N people (default 100,000), sent by `python -m bot worker` (its
   own process: the broadcast runner queues recipients, the delivery worker sends them with
   the bot's own Bot API client) to a fake Bot API that enforces R messages a second (default
   1,000) the way Telegram does (429 above it); the worker's global rate is set to R.
   Prints the achieved rate as a fraction of R, the 429s, the worker's peak RSS and its CPU
   milliseconds per message (the machine may be shared: CPU time is the steadier figure);
   then the same for the sender alone in the same run (bench/delivery.py: messages already
   queued, no runner), the reference that the runner's cost is the difference from.
2. Building a segment: all recipients of a broadcast to M people (default 100,000 and then
   1,000,000) queued in batches, in a process of its own, with that process's peak RSS:
   flat memory means the same peak whatever M.

    python bench/broadcast.py [--people 100000] [--rate 1000] [--segments 100000,1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import Broadcast, BroadcastStatus, OutboxMessage, utcnow
from storage.repositories import broadcasts, segments
from storage.repositories.segments import Segment

TEXT = "Hội Khuyến học mời bà con dự buổi sinh hoạt chi hội tối thứ Bảy."
REFERENCE_SECONDS = 10  # of sending by the delivery worker alone


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


# The process that builds a segment measures its own memory, so it imports only what
# building needs: the fake Bot API, the test helpers and the bot's runtime load
# in the parent, from functions.


async def prepared(path: Path, people: int) -> str:
    from tests.storage.factories import populate_sqlite

    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade_async(url)
    populate_sqlite(str(path), people)
    return url


async def new_broadcast(url: str, *, schedule: bool) -> int:
    db = create_engine(url)
    try:
        async with make_sessionmaker(db)() as session, session.begin():
            b = await broadcasts.create(
                session, text=TEXT, segment=Segment(), author_user_id=None, now=utcnow()
            )
            if schedule:
                broadcasts.schedule(b, utcnow(), utcnow())
            return b.id
    finally:
        await db.dispose()


async def sending(people: int, rate: int) -> None:
    from delivery import described, one  # beside this file
    from processes import Pace, cpu_seconds, freeze_gc, stop, telegram_worker

    from tests.fakes.telegram import FakeTelegram

    reference = await one(rate, REFERENCE_SECONDS)
    with tempfile.TemporaryDirectory() as tmp:
        url = await prepared(Path(tmp) / "bench.db", people)
        broadcast_id = await new_broadcast(url, schedule=False)
        db = create_engine(url)
        sessions = make_sessionmaker(db)
        freeze_gc()
        async with FakeTelegram(global_rate=rate) as fake:
            # Never quiet; and no scheduled jobs: the day's reminders would go to the same
            # people meanwhile, sharing R with the broadcast (twice the messages measured).
            worker = telegram_worker(
                fake, url, rate, QUIET_HOURS="00:00-00:00", SCHEDULED_JOBS="none"
            )
            try:
                # Started once it sets its command menu (after loading everything).
                async with asyncio.timeout(120):
                    while not any(c.method == "setMyCommands" for c in fake.calls):
                        assert worker.poll() is None, "the worker died"
                        await asyncio.sleep(0.1)
                await asyncio.sleep(1)
                idle, cpu_before = peak_rss_mb(worker.pid), cpu_seconds(worker)
                async with sessions() as session, session.begin():
                    b = await broadcasts.get(session, broadcast_id)
                    broadcasts.schedule(b, utcnow(), utcnow())
                began = time.monotonic()
                async with asyncio.timeout(people / rate * 10 + 120):
                    while True:
                        async with sessions() as session:
                            status = await session.scalar(select(Broadcast.status))
                        if status == BroadcastStatus.DONE:
                            break
                        assert worker.poll() is None, "the worker died"
                        # The fake's record of calls grows by R a second: kept out of full
                        # collections, whose pauses would stop it answering for up to a
                        # second (freeze_gc), as Telegram never does.
                        gc.freeze()
                        await asyncio.sleep(0.5)
                wall = time.monotonic() - began
                rss, cpu = peak_rss_mb(worker.pid), cpu_seconds(worker) - cpu_before
            finally:
                stop(worker)
            pace = Pace.of(fake, rate)
        async with sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
        await db.dispose()
    print(
        f"broadcast to {people:,} at R={rate}/s: {pace.sent:,} sent ({rows:,} outbox rows) at "
        f"{pace}; worker peak RSS {rss:.0f} MB ({idle:.0f} MB idle before it); worker CPU "
        f"{cpu:.1f} s = {cpu / pace.sent * 1000:.2f} ms/message; {wall:.0f} s from send to done"
    )
    print(f"reference, in the same run: {described(*reference)}")


async def build(url: str) -> None:
    """Queue every recipient of a new broadcast, batch by batch, as the runner does."""
    broadcast_id = await new_broadcast(url, schedule=True)
    db = create_engine(url)
    sessions = make_sessionmaker(db)
    baseline = peak_rss_mb()
    texts = {"vi": TEXT, "en": TEXT}
    began = time.monotonic()
    async with sessions() as session, session.begin():
        b = await broadcasts.get(session, broadcast_id, lock=True)
        await broadcasts.start(session, b, utcnow())
    counted = time.monotonic() - began
    queued = 0
    while True:
        async with sessions() as session, session.begin():
            b = await broadcasts.get(session, broadcast_id, lock=True)
            batch = await broadcasts.enqueue_next(session, b, limit=1000, texts=texts, now=utcnow())
        if not batch:
            break
        queued += batch
    took = time.monotonic() - began
    async with sessions() as session:
        audience = await segments.audience(session, Segment())
    await db.dispose()
    print(
        f"segment of {audience.total:,}: counted in {counted:.1f} s, {queued:,} queued in "
        f"{took:.1f} s ({queued / took:,.0f}/s); peak RSS {peak_rss_mb():.0f} MB "
        f"({baseline:.0f} MB before building)"
    )


def building(people: list[int]) -> None:
    from processes import ROOT

    for count in people:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "segment.db"
            url = asyncio.run(prepared(path, count))
            # A process of its own, so that its peak memory is the building's alone.
            subprocess.run(
                [sys.executable, __file__, "--build", url], cwd=ROOT, check=True, env=os.environ
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--segments", default="100000,1000000")
    parser.add_argument("--build", help=argparse.SUPPRESS)  # the child of `building`
    args = parser.parse_args()
    if args.build:
        asyncio.run(build(args.build))
        return
    if args.people:
        asyncio.run(sending(args.people, args.rate))
    if args.segments:
        building([int(n) for n in args.segments.split(",")])


if __name__ == "__main__":
    main()
