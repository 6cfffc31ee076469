"""Webhook updates end to end: POST to `python -m bot serve` (its own process) -> inbox ->
engine -> outbox -> delivery -> reply received by the fake Bot API in this process, on
SQLite; then the same through a bare aiogram echo bot behind aiogram's own webhook handler
(bench/echo_bot.py), and the ratio.

Also measured: the split deployment (a web-only `serve` storing updates and `worker`
processes processing and delivering them), all started as the Procfile starts them. Each
measured update is a person typing their name during registration (one reply: the next
question), as the echo bot gives one reply. Updates arrive
over 40 concurrent connections, as Telegram sends them. Each line also gives the CPU time the
bot's processes used per update (per process when split), and on PostgreSQL the server's (its
backends serving the bench's database; SQLite's work is inside the bot's): the rates need a
quiet machine, the CPU figures barely move with other load.

With --rate R the updates arrive open-loop at R a second (as people cause them, whatever the
bot's pace) instead of all at once, and p50/p99 are the latency at that load. With --workers
1,2 the split deployment runs once with each number of worker processes. With --rounds N
every deployment runs N times, interleaved (the bot's in reverse order every other round),
and the median of each is given: one run of a few seconds on a small machine moves by a
tenth or more with whatever else it does. More worker processes are also compared with one
round by round (the two ran seconds apart): the median of those ratios, and in how many
rounds more were ahead or level.

On PostgreSQL the statistics of the set-up tables are taken before each measurement, as
autovacuum takes them in a running deployment.

On SQLite it also gives the price of durability: the inbox writer's commits sync the log to
disk (synchronous=FULL), so that an acknowledged update survives a power loss; measured as
the writer's rate with and without that, the same 40 concurrent writers.

    python bench/updates.py [--updates 2000] [--postgres URL] [--rate 200] [--workers 1,2]
                            [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession, TCPConnector
from processes import (  # beside this file
    cpu_seconds,
    free_port,
    freeze_gc,
    paired,
    start,
    stop,
    until_idle,
    until_up,
    worker_processes,
)
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from bot.inbox import InboxWriter
from content import load_content
from handlers.engine import Engine
from handlers.events import Event, EventKind
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repositories.inbox import NewUpdate
from tests.conftest import scratch_postgres_database
from tests.fakes.telegram import FakeTelegram
from tests.procfile import bot

SECRET = "bench-secret"
CONNECTIONS = 40


async def post_at_rate(url: str, updates: list[dict], rate: float) -> dict[int, float]:
    """Send the updates at ``rate`` a second, over at most CONNECTIONS connections at once;
    return when each was posted, by user id."""
    started: dict[int, float] = {}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def one(http: ClientSession, update: dict, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        started[update["message"]["from"]["id"]] = time.monotonic()
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200, response.status

    async with ClientSession(connector=TCPConnector(limit=CONNECTIONS)) as http:
        t0 = time.monotonic()
        await asyncio.gather(*(one(http, u, t0 + n / rate) for n, u in enumerate(updates)))
    return started


async def post_all(url: str, updates: list[dict]) -> dict[int, float]:
    """Send every update; return when each was posted, by user id."""
    started: dict[int, float] = {}
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for u in updates:
        queue.put_nowait(u)

    async def connection(http: ClientSession) -> None:
        while not queue.empty():
            update = queue.get_nowait()
            started[update["message"]["from"]["id"]] = time.monotonic()
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200, response.status

    async with ClientSession() as http:
        await asyncio.gather(*(connection(http) for _ in range(CONNECTIONS)))
    return started


@dataclass(frozen=True)
class Measured:
    rate: float  # updates/s
    p50: float  # ms from POST to reply
    p99: float
    cpu: list[float]  # ms of CPU per update, by process
    server: float | None = None  # ms of the PostgreSQL server's CPU per update

    def __str__(self) -> str:
        by_process = f" ({' + '.join(f'{ms:.2f}' for ms in self.cpu)})" if len(self.cpu) > 1 else ""
        server = "" if self.server is None else f"; PostgreSQL CPU {self.server:.2f} ms/update"
        return (
            f"{self.rate:,.0f} updates/s; POST -> reply p50 {self.p50:.0f} ms, "
            f"p99 {self.p99:.0f} ms; bot CPU {sum(self.cpu):.2f} ms/update{by_process}{server}"
        )


async def server_cpu(url: str) -> dict[int, float]:
    """PostgreSQL: CPU seconds used so far by each backend serving the database at ``url``
    (the server is on this machine); nothing on SQLite."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    db = create_engine(url)
    async with db.connect() as connection:
        pids = await connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        found = {pid: process_cpu(pid) for pid in pids}
    await db.dispose()
    return {pid: cpu for pid, cpu in found.items() if cpu is not None}


def process_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:  # ended meanwhile
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    fake: FakeTelegram,
    url: str,
    users: range,
    processes: list[subprocess.Popen],
    rate: float | None,
    database: str | None = None,
) -> Measured:
    """Post an update from each user (all at once, or at ``rate`` a second), wait for every
    reply; the rate, the latency and the CPU the bot's processes (and the PostgreSQL server
    of ``database``) used per update."""
    updates = [fake.user_text(uid, "Nguyễn Văn Bench") for uid in users]
    await until_idle(*processes)
    server = await server_cpu(database) if database else {}
    cpu = [cpu_seconds(p) for p in processes]
    t0 = time.monotonic()
    started = await (post_at_rate(url, updates, rate) if rate else post_all(url, updates))
    async with asyncio.timeout(600):
        while sum(bool(fake.sent(uid)) for uid in users) < len(users):
            await asyncio.sleep(0.01)
    cpu_ms = [(cpu_seconds(p) - c) * 1000 / len(users) for p, c in zip(processes, cpu, strict=True)]
    # A backend that started meanwhile counts whole; one that ended meanwhile is lost.
    after = await server_cpu(database) if database else {}
    server_ms = sum(c - server.get(pid, 0.0) for pid, c in after.items()) * 1000 / len(users)
    done = {uid: fake.sent(uid)[0]["time"] for uid in users}  # the fake stamps monotonic time
    ms = sorted((done[uid] - started[uid]) * 1000 for uid in users)
    return Measured(
        rate=len(users) / (max(done.values()) - t0),
        p50=statistics.median(ms),
        p99=ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        cpu=cpu_ms,
        server=server_ms if after else None,
    )


async def at_the_name_question(url: str, users: range) -> None:
    """People who agreed to the notice and are asked for their name (set up, not measured)."""
    content = load_content()
    db = create_engine(url)
    engine = Engine(make_sessionmaker(db), content)

    def event(uid: int, step: str, kind: EventKind, **fields: object) -> Event:
        return Event(
            channel="telegram",
            external_user_id=str(uid),
            chat_id=str(uid),
            event_id=f"setup-{uid}-{step}",
            kind=kind,
            at=utcnow(),
            **fields,
        )  # type: ignore[arg-type]

    for n in range(0, len(users), 500):  # in pieces, as the inbox hands the engine batches
        some = users[n : n + 500]
        await engine.handle_batch(
            [event(u, "start", EventKind.COMMAND, command="start") for u in some]
        )
        await engine.handle_batch([event(u, "yes", EventKind.BUTTON, payload="yes") for u in some])
    # Their earlier replies are not the point: recorded as sent, as a running deployment
    # keeps its sent messages (deleted, they would leave the outbox's pages full of dead rows
    # and its statistics, taken after, would call it empty whatever comes).
    async with make_sessionmaker(db)() as session, session.begin():
        await session.execute(
            update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=utcnow())
        )
    await db.dispose()


@asynccontextmanager
async def scratch_database(postgres: str | None) -> AsyncIterator[str]:
    """A new SQLite file, or a new database on the given PostgreSQL server, dropped after."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    async with scratch_postgres_database(postgres) as url:
        yield url


async def ours(
    fake: FakeTelegram, users: range, workers: int, postgres: str | None, rate: float | None
) -> Measured:
    """The bot in one `serve` process (no workers), or split: a web-only `serve` and
    ``workers`` worker processes; an update from each of ``users``."""
    split = workers > 0
    async with scratch_database(postgres) as url:
        await migrate.upgrade_async(url)
        await at_the_name_question(url, users)
        if postgres:
            await analyze(url)
        port = free_port()
        env = {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.base_url,
            "WEBHOOK_SECRET": SECRET,
            "PORT": str(port),
            "TELEGRAM_GLOBAL_RATE": "100000",
        }
        web = start(bot("serve", *(["--no-workers"] if split else [])), env)
        others = [start(bot("worker"), env) for _ in range(workers)]
        try:
            await until_up(f"http://127.0.0.1:{port}/healthz", web, {200})
            return await measure(
                fake,
                f"http://127.0.0.1:{port}/telegram/webhook",
                users,
                [web, *others],
                rate,
                database=url,
            )
        finally:
            for process in (web, *others):
                stop(process)


async def analyze(url: str) -> None:
    """Take PostgreSQL's statistics of the set-up tables, as autovacuum does within a minute
    of such a change in any deployment. Measured right after the set-up instead, the planner
    would still see the empty tables of the new database and plan for them."""
    db = create_engine(url)
    async with db.connect() as connection:
        await connection.execute(text("ANALYZE"))
    await db.dispose()


async def bare_aiogram(fake: FakeTelegram, users: range, rate: float | None) -> Measured:
    port = free_port()
    echo = start(
        [sys.executable, "bench/echo_bot.py", str(port), fake.token, fake.base_url, SECRET], {}
    )
    try:
        await until_up(f"http://127.0.0.1:{port}/healthz", echo, {200})
        return await measure(fake, f"http://127.0.0.1:{port}/webhook", users, [echo], rate)
    finally:
        stop(echo)


async def inbox_writes(count: int, *, durable: bool) -> float:
    """Updates stored per second by the inbox writer, from CONNECTIONS concurrent writers."""
    async with scratch_database(None) as url:
        await migrate.upgrade_async(url)
        db = create_engine(url)
        writer = InboxWriter(make_sessionmaker(db), durable=durable)
        ids = iter(range(count))

        async def connection() -> None:
            for n in ids:
                await writer.store(NewUpdate("telegram", str(n), str(n), n, {"update_id": n}))

        t0 = time.monotonic()
        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
        rate = count / (time.monotonic() - t0)
        await db.dispose()
    return rate


async def run(
    count: int, postgres: str | None, rate: float | None, worker_counts: list[int], rounds: int
) -> None:
    store = "PostgreSQL" if postgres else "SQLite"
    load = f" at {rate:g} updates/s" if rate else ""
    deployments = {"bare aiogram echo": None}
    for workers in [0, *worker_counts]:
        shape = f"web process + {worker_processes(workers)}" if workers else "one process"
        deployments[f"CDHT bot on {store}, {shape}"] = workers
    # Each round runs every deployment once, in turn, so that a change in the machine's load
    # weighs on all of them alike: the reference first, then the bot's deployments, in
    # reverse order every other round, so that none always runs last. Each gets new people
    # (the fake keeps every reply sent).
    blocks = iter(range(1_000_000, 1_000_000_000, count))
    rates: dict[str, list[float]] = {name: [] for name in deployments}
    ours_in_order = list(deployments)[1:]
    freeze_gc()
    async with FakeTelegram() as fake:
        for round_ in range(1, rounds + 1):
            label = f" (round {round_} of {rounds})" if rounds > 1 else ""
            bare: Measured | None = None
            order = ours_in_order if round_ % 2 else ours_in_order[::-1]
            for name in ["bare aiogram echo", *order]:
                workers = deployments[name]
                first = next(blocks)
                users = range(first, first + count)
                if workers is None:
                    bare = mine = await bare_aiogram(fake, users, rate)
                    versus = ""
                else:
                    assert bare is not None
                    mine = await ours(fake, users, workers, postgres, rate)
                    versus = (
                        f"; {mine.rate / bare.rate:.2f} x bare aiogram's rate, "
                        f"CPU per update {sum(mine.cpu) / sum(bare.cpu):.2f} x its"
                    )
                rates[name].append(mine.rate)
                print(f"updates {name}{load}{label}: {mine}{versus}", flush=True)
    if rounds > 1:
        reference = statistics.median(rates["bare aiogram echo"])
        for name, measured in rates.items():
            middle = statistics.median(measured)
            print(
                f"updates {name}{load}, median of {rounds} rounds: {middle:,.0f} updates/s "
                f"({', '.join(f'{r:,.0f}' for r in measured)}); "
                f"{middle / reference:.2f} x bare aiogram's median",
                flush=True,
            )
        split = {n: deployments[n] for n in ours_in_order if deployments[n]}
        one = next((n for n, workers in split.items() if workers == 1), None)
        for name, workers in split.items():
            if one is None or workers == 1:
                continue
            print(
                f"updates {worker_processes(workers)} against 1{load}: "
                f"{paired(rates[name], rates[one])}",
                flush=True,
            )
    if postgres is None:
        synced = await inbox_writes(count, durable=True)
        unsynced = await inbox_writes(count, durable=False)
        print(
            f"updates inbox writer on SQLite, {CONNECTIONS} concurrent: {synced:,.0f}/s with each"
            f" commit synced to disk (as run), {unsynced:,.0f}/s without; durability costs"
            f" {1 - synced / unsynced:.0%} of the writer's rate"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on this PostgreSQL server (a scratch database) instead of SQLite",
    )
    parser.add_argument(
        "--rate", type=float, help="open loop: updates arrive at this rate (per second)"
    )
    parser.add_argument(
        "--workers", default="1", help="worker process counts for the split deployment: 1,2"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every deployment this many times, interleaved, and give each one's median",
    )
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    asyncio.run(run(args.updates, args.postgres, args.rate, workers, args.rounds))


if __name__ == "__main__":
    main()
