"""The inbox claim on PostgreSQL against the backlog: the time to claim a batch of 64 with
1,000 and 8,000 updates waiting, and the ratio to the time at 250. Done when the ratio stays
near 1: a claim costs what its batch does, whatever waits behind it.

Statistics are taken while the inbox is empty, as autovacuum does on a new deployment and
then seldom again while a backlog grows: a plan that relies on them being current went from
1 ms to seconds a claim (a nested loop of every waiting update with every chat's first).
Half the chats have a second update waiting behind their first.

    python bench/claims.py --postgres URL
"""

from __future__ import annotations

import argparse
import asyncio
import time

from processes import freeze_gc  # beside this file
from sqlalchemy import text

from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import utcnow
from storage.repositories import inbox
from tests.conftest import scratch_postgres_database

BACKLOGS = (250, 1000, 8000)
BATCH = 64
CLAIMS = 10


async def claim_ms(server: str, backlog: int) -> float:
    """The least ms of CLAIMS claims of BATCH with ``backlog`` updates waiting (the least:
    other load on the machine only adds; each claim rolled back, so that every one meets
    the same backlog)."""
    async with scratch_postgres_database(server) as url:
        await migrate.upgrade_async(url)
        db = create_engine(url)
        sessions = make_sessionmaker(db)
        async with db.begin() as connection:
            await connection.execute(text("ANALYZE inbox"))
        chats = backlog * 2 // 3
        updates = [
            inbox.NewUpdate("telegram", str(n), str(n % chats), n, {"update_id": n})
            for n in range(backlog)
        ]
        async with sessions() as session, session.begin():
            await inbox.store(session, updates, utcnow())
        times = []
        for _ in range(CLAIMS):
            async with sessions() as session:  # closed uncommitted: rolled back
                t0 = time.perf_counter()
                rows = await inbox.next_batch(session, ["telegram"], BATCH, claim=True)
                times.append((time.perf_counter() - t0) * 1000)
                assert len(rows) == BATCH, len(rows)
        await db.dispose()
    return min(times)


async def run(server: str) -> None:
    freeze_gc()
    base = await claim_ms(server, BACKLOGS[0])
    print(f"claims inbox claim of {BATCH} at {BACKLOGS[0]:,} waiting: {base:.1f} ms")
    for backlog in BACKLOGS[1:]:
        ms = await claim_ms(server, backlog)
        print(
            f"claims inbox claim of {BATCH} at {backlog:,} waiting: {ms:.1f} ms, "
            f"{ms / base:.2f} x the time at {BACKLOGS[0]:,}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", required=True, help="PostgreSQL server")
    asyncio.run(run(parser.parse_args().postgres))


if __name__ == "__main__":
    main()
