"""Memory of each long-running process, started for real as in production.

Each of `python -m bot serve`, `poll`, `worker` and `run` (with a Telegram token, `run` polls)
starts on its own, with the Procfile's interpreter options (`-OO`), against a fake Bot API, on
an SQLite database of N registered people (default 100,000); once started and idle its
resident memory (VmRSS) is read; then it sends a broadcast to all N at R messages a second
(default 3,000) and its RSS and peak (VmHWM) are read again. For reference, in the same
run: a bare Python process, and one that only imports aiogram (the framework the bot used to
load). With --postgres the database is a scratch one on that PostgreSQL server (the processes
then also load asyncpg and PostgreSQL's dialect).

    python bench/memory.py [--people 100000] [--rate 3000] [--modes serve,poll,worker,run]
                           [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from broadcast import new_broadcast, peak_rss_mb, prepared  # beside this file
from processes import ROOT, free_port, start, stop, until_idle

from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import Broadcast, BroadcastStatus, utcnow
from storage.repositories import broadcasts
from tests.conftest import scratch_postgres_database
from tests.fakes.telegram import FakeTelegram
from tests.procfile import bot
from tests.storage.factories import populate_postgres

LIMIT_MB = 100


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def reference(code: str) -> float:
    """Peak RSS of a Python process that runs ``code``."""
    status = "print(open('/proc/self/status').read())"
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{status}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


async def measure(mode: str, url: str, people: int, rate: int) -> str:
    broadcast_id = await new_broadcast(url, schedule=False)
    db = create_engine(url)
    sessions = make_sessionmaker(db)
    async with FakeTelegram(global_rate=rate) as fake:
        env = {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.base_url,
            "TELEGRAM_GLOBAL_RATE": str(rate),
            "QUIET_HOURS": "00:00-00:00",  # never quiet
            "WEBHOOK_SECRET": "bench-secret",
            "PORT": str(free_port()),
        }
        process = start(bot(mode), env)
        try:
            async with asyncio.timeout(120):  # started once it sets its command menu
                while not any(c.method == "setMyCommands" for c in fake.calls):
                    assert process.poll() is None, f"{mode} died"
                    await asyncio.sleep(0.1)
            # The first process also sends the day's reminders to everyone: slow on a busy
            # machine.
            await until_idle(process, seconds=people / rate * 10 + 60)
            started = rss_mb(process.pid)
            async with sessions() as session, session.begin():
                b = await broadcasts.get(session, broadcast_id)
                broadcasts.schedule(b, utcnow(), utcnow())
            async with asyncio.timeout(people / rate * 10 + 120):
                while True:
                    async with sessions() as session:
                        b = await session.get(Broadcast, broadcast_id)
                        done = b is not None and b.status == BroadcastStatus.DONE
                    if done:
                        break
                    assert process.poll() is None, f"{mode} died"
                    await asyncio.sleep(0.5)
            after, peak = rss_mb(process.pid), peak_rss_mb(process.pid)
        finally:
            stop(process)
        sent = sum(1 for c in fake.calls if c.method == "sendMessage" and c.status == 200)
    await db.dispose()
    verdict = "ok" if max(started, after) <= LIMIT_MB else f"OVER {LIMIT_MB} MB"
    return (
        f"{mode:7} RSS {started:5.1f} MB started; {after:5.1f} MB after a broadcast to "
        f"{people:,} ({sent:,} sent), peak {peak:5.1f} MB: {verdict}"
    )


async def run(modes: list[str], people: int, rate: int, postgres: str | None) -> None:
    async with database(people, postgres) as url:
        for mode in modes:
            print(await measure(mode, url, people, rate), flush=True)


@asynccontextmanager
async def database(people: int, postgres: str | None) -> AsyncIterator[str]:
    """An SQLite file, or a scratch database on ``postgres``, of ``people`` registered."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield await prepared(Path(tmp) / "memory.db", people)
        return
    async with scratch_postgres_database(postgres) as url:
        await migrate.upgrade_async(url)
        await populate_postgres(url, people)
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=3000)
    parser.add_argument("--modes", default="serve,poll,worker,run")
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL server")
    args = parser.parse_args()
    print(
        f"reference: bare Python {reference('pass'):.1f} MB peak; "
        f"import aiogram {reference('import aiogram'):.1f} MB peak; "
        f"import bot.services {reference('import bot.services'):.1f} MB peak",
        flush=True,
    )
    asyncio.run(run(args.modes.split(","), args.people, args.rate, args.postgres))


if __name__ == "__main__":
    main()
