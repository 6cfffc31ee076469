"""Worker processes against a backlog on PostgreSQL: what a second worker process adds.

A burst of updates is stored at once, in one commit, as the web process stores one (people
answering a broadcast within the same minute, or Telegram handing over what it kept during
an outage): each a person typing their name during registration, as in bench/updates.py.
`python -m bot worker` processes, started as the Procfile starts them and woken by the
commit's notification, process the updates and send the replies to the fake Bot API in
this process. The rate is from the commit to the last reply received; each line also gives
each worker's CPU per update and the server's.

Nothing else of the bot runs meanwhile: this is what the worker processes can do. In
bench/updates.py's all-at-once run the web process, the posting client, the fake Bot API,
the server and the workers all share the machine's cores, and there a second worker process
can only take CPU time from the others.

With --rounds N every deployment runs N times, interleaved (in reverse order every other
round); more worker processes are compared with one round by round: the median of those
ratios, and in how many rounds more were ahead or level.

    python bench/workers.py --postgres URL [--updates 5000] [--workers 1,2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from processes import (  # beside this file
    cpu_seconds,
    freeze_gc,
    paired,
    stop,
    telegram_worker,
    until_idle,
    worker_processes,
)
from updates import analyze, at_the_name_question, server_cpu

from bot.channels import telegram
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import utcnow
from storage.repositories import inbox
from tests.conftest import scratch_postgres_database
from tests.fakes.telegram import FakeTelegram


async def drain(fake: FakeTelegram, server: str, workers: int, users: range) -> tuple[float, str]:
    """Updates processed and answered a second by ``workers`` worker processes, and the CPU
    each process and the server used per update."""
    async with scratch_postgres_database(server) as url:
        await migrate.upgrade_async(url)
        await at_the_name_question(url, users)
        await analyze(url)
        processes = [telegram_worker(fake, url, 100_000) for _ in range(workers)]
        db = create_engine(url)
        try:
            await until_idle(*processes)
            rows = [telegram.inbox_row(fake.user_text(u, "Nguyễn Văn Bench")) for u in users]
            before = await server_cpu(url)
            cpu = [cpu_seconds(p) for p in processes]
            async with make_sessionmaker(db)() as session, session.begin():
                await inbox.store(session, rows, utcnow())
            stored = time.monotonic()
            async with asyncio.timeout(600):
                while sum(bool(fake.sent(uid)) for uid in users) < len(users):
                    await asyncio.sleep(0.01)
            ms = [
                (cpu_seconds(p) - c) * 1000 / len(users)
                for p, c in zip(processes, cpu, strict=True)
            ]
            after = await server_cpu(url)
        finally:
            await db.dispose()
            for process in processes:
                stop(process)
    last = max(fake.sent(uid)[0]["time"] for uid in users)  # the fake stamps monotonic time
    # A backend that started meanwhile counts whole; one that ended meanwhile is lost.
    server_ms = sum(c - before.get(pid, 0.0) for pid, c in after.items()) * 1000 / len(users)
    return len(users) / (last - stored), (
        f"worker CPU {' + '.join(f'{m:.2f}' for m in ms)} ms/update; "
        f"PostgreSQL CPU {server_ms:.2f} ms/update"
    )


async def run(server: str, count: int, worker_counts: list[int], rounds: int) -> None:
    blocks = iter(range(2_000_000_000, 3_000_000_000, count))
    rates: dict[int, list[float]] = {n: [] for n in worker_counts}
    freeze_gc()
    async with FakeTelegram() as fake:
        for round_ in range(1, rounds + 1):
            label = f" (round {round_} of {rounds})" if rounds > 1 else ""
            for workers in worker_counts if round_ % 2 else worker_counts[::-1]:
                first = next(blocks)
                rate, cpu = await drain(fake, server, workers, range(first, first + count))
                rates[workers].append(rate)
                print(
                    f"workers {worker_processes(workers)}, {count:,} updates stored at once"
                    f"{label}: {rate:,.0f} updates/s; {cpu}",
                    flush=True,
                )
    for workers, measured in rates.items():
        if rounds > 1:
            print(
                f"workers {worker_processes(workers)}, median of {rounds} rounds: "
                f"{statistics.median(measured):,.0f} updates/s "
                f"({', '.join(f'{r:,.0f}' for r in measured)})",
                flush=True,
            )
        if workers != 1 and 1 in rates:
            print(f"workers {worker_processes(workers)} against 1: {paired(measured, rates[1])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", required=True, help="a PostgreSQL server")
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--workers", default="1,2", help="worker process counts: 1,2")
    parser.add_argument(
        "--rounds", type=int, default=3, help="run each count this many times, interleaved"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    asyncio.run(run(args.postgres, args.updates, counts, args.rounds))


if __name__ == "__main__":
    main()
