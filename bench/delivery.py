"""Delivery pace: N queued messages to distinct chats, sent by `python -m bot worker` (its own
process, the bot's own Bot API client) to a fake Bot API that enforces a rate limit R the way
Telegram does (429 with retry_after above it). The worker's global rate is set to R. Prints
the achieved rate as a fraction of R, the number of 429s, and the worker's CPU time per
message: the rate needs a quiet machine, the CPU figure barely moves with other load.

    python bench/delivery.py [--rates 30,1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from processes import (  # beside this file; also puts the repository on sys.path
    Pace,
    cpu_seconds,
    freeze_gc,
    stop,
    telegram_worker,
)

from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import utcnow
from storage.repositories import outbox
from tests.fakes.telegram import FakeTelegram


async def one(rate: int, seconds: float) -> tuple[Pace, float]:
    """The pace of ``rate * seconds`` messages sent at R = ``rate``, and the worker's CPU
    milliseconds per message."""
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate.upgrade_async(url)
        db = create_engine(url)
        async with make_sessionmaker(db)() as session, session.begin():
            await outbox.enqueue(
                session,
                [
                    outbox.NewMessage(
                        None,
                        "telegram",
                        str(10_000 + n),
                        "broadcast",
                        {"text": f"Thông báo số {n}"},
                    )
                    for n in range(count)
                ],
                utcnow(),
            )
        await db.dispose()
        freeze_gc()
        async with FakeTelegram(global_rate=rate) as fake:
            worker = telegram_worker(fake, url, rate)
            # The worker's CPU while it sends (from its first accepted send to its last).
            first: tuple[int, float] | None = None
            try:
                async with asyncio.timeout(seconds * 10 + 60):
                    while (delivered := _accepted(fake)) < count:
                        if first is None and delivered:
                            first = delivered, cpu_seconds(worker)
                        await asyncio.sleep(0.05)
                    assert first is not None
                    cpu_ms = (cpu_seconds(worker) - first[1]) * 1000 / (delivered - first[0])
            finally:
                stop(worker)
            return Pace.of(fake, rate), cpu_ms


def described(pace: Pace, cpu_ms: float) -> str:
    return (
        f"delivery R={pace.rate}/s: {pace.sent} messages to distinct chats at {pace}; "
        f"worker CPU {cpu_ms:.2f} ms/message"
    )


def _accepted(fake: FakeTelegram) -> int:
    return sum(1 for c in fake.calls if c.method == "sendMessage" and c.status == 200)


async def run(rates: list[int], seconds: float) -> None:
    for rate in rates:
        print(described(*await one(rate, seconds)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="30,1000")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    asyncio.run(run([int(r) for r in args.rates.split(",")], args.seconds))


if __name__ == "__main__":
    main()
