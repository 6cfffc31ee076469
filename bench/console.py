"""The web console at scale: 100,000 submissions in one officer's commune (ten answers
each, some with evidence), on SQLite and, given a server, PostgreSQL. Times the queue page
(the default view, a name search, sorting by name, a filter, a later page by keyset) and the
dashboard through the real server over HTTP, and prints each one's median and p95 against
the budgets (queue < 200 ms, dashboard < 500 ms) and as a ratio to a reference measured in
the same run (a static file through the same server and client: what the machine's load
costs every request). Counts over the whole scope are kept until something they count
changes; the "after a change" rows move the change counter before each request, so they
time the counting itself.

    python bench/console.py [--submissions 100000] [--runs 30]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from bot.web.console import ConsoleConfig
from bot.web.server import make_app
from content import load_content
from handlers.actions import Actor, Work, console
from handlers.i18n import load_catalogs
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import StaffRole
from tests.web import seed

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CHUNK = 5000
REFERENCE = "reference: a static file"


@dataclass(frozen=True)
class Timed:
    path: str
    budget: float | None  # seconds; None for the reference
    after_change: bool = False  # move the change counter before each request


def pages(after: str) -> dict[str, Timed]:
    """What is timed."""
    queue, dashboard = 0.200, 0.500
    return {
        REFERENCE: Timed("/web/static/console.css", None),
        "queue: default (waiting, oldest first)": Timed("/web/", queue),
        "queue: search by name, no accents": Timed("/web/?q=tran+van+anh+7", queue),
        "queue: sorted by name": Timed("/web/?sort=name", queue),
        "queue: failing the rules, with evidence": Timed("/web/?passed=no&evidence=yes", queue),
        "queue: a later page (keyset)": Timed(f"/web/?after={after}", queue),
        "queue: default, after a change": Timed("/web/", queue, after_change=True),
        "dashboard": Timed("/web/dashboard", dashboard),
        "dashboard, after a change": Timed("/web/dashboard", dashboard, after_change=True),
    }


async def populate(url: str, count: int) -> int:
    """`count` submissions in Phường Hải Châu and its officer; returns the officer's id."""
    content = load_content()
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        officer = await seed.staff(session, "Cán Bộ", StaffRole.OFFICER, seed.HAI_CHAU, NOW)
    people = seed.many(count)
    for start in range(0, count, CHUNK):
        async with sessions() as session, session.begin():
            await seed.citizens(session, content, people[start : start + CHUNK], 2026, NOW)
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
        await connection.commit()
    await engine.dispose()
    print(f"  {count:,} submissions written in {time.perf_counter() - started:.0f} s", flush=True)
    return officer


async def officer_of(url: str) -> int:
    """The officer a previous run made (the first staff member of Phường Hải Châu)."""
    engine = create_engine(url)
    async with engine.connect() as connection:
        found = await connection.exec_driver_sql(
            f"SELECT min(user_id) FROM staff WHERE commune_code = '{seed.HAI_CHAU}'"
        )
        officer = found.scalar_one()
    await engine.dispose()
    return int(officer)


Times = dict[str, tuple[Timed, list[tuple[float, float]]]]


async def measure(url: str, officer: int, runs: int) -> Times:
    content = load_content()
    catalogs = load_catalogs()
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    config = ConsoleConfig(sessions=sessions, content=content, catalogs=catalogs, clock=lambda: NOW)
    app = make_app(sessions, webhook_secret="", clock=lambda: NOW, console=config)
    times: Times = {}
    async with TestClient(TestServer(app)) as client:
        async with sessions() as session, session.begin():
            token = await console.signin_link(
                Work(session, content, catalogs, NOW), Actor(officer, "chat")
            )
        form = await (await client.get(f"/web/signin/{token}")).text()
        nonce = re.search(r'name="nonce" value="([^"]+)"', form)
        assert nonce is not None
        signed = await client.post(
            "/web/signin", data={"token": token, "nonce": nonce.group(1)}, allow_redirects=False
        )
        assert signed.status == 303, signed.status
        first = await (await client.get("/web/")).text()
        after = re.search(r"after=([^\"&]+)\" rel=\"next\"", first)
        assert after is not None, "the first page has no next page"
        for name, timed in pages(after.group(1)).items():
            measured: list[tuple[float, float]] = []
            slow = timed.after_change or (timed.budget or 0) >= 0.5
            for _ in range(max(5, runs // 3) if slow else runs):
                if timed.after_change:
                    async with engine.begin() as connection:
                        await connection.exec_driver_sql(
                            "UPDATE change_counters SET n = n + 1 WHERE name = 'figures'"
                        )
                started, cpu = time.perf_counter(), time.process_time()
                response = await client.get(timed.path)
                await response.read()
                measured.append((time.perf_counter() - started, time.process_time() - cpu))
                assert response.status == 200, (timed.path, response.status)
            times[name] = (timed, measured)
    await engine.dispose()
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(backend: str, times: Times) -> bool:
    within = True
    load = os.getloadavg()[0]
    reference = _p95([w for w, _ in times[REFERENCE][1]])
    print(f"\n{backend} (load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"  {'':44} {'median':>9} {'p95':>9} {'CPU p95':>9} {'p95/ref':>8}  budget")
    for name, (timed, measured) in times.items():
        wall = [w for w, _ in measured]
        cpu = [c for _, c in measured]
        ok = timed.budget is None or _p95(wall) <= timed.budget
        within &= ok
        budget = f"< {timed.budget * 1000:.0f} ms {'ok' if ok else 'OVER'}" if timed.budget else ""
        print(
            f"  {name:44} {statistics.median(wall) * 1000:6.1f} ms {_p95(wall) * 1000:6.1f} ms "
            f"{_p95(cpu) * 1000:6.1f} ms {_p95(wall) / reference:7.1f}×  {budget}"
        )
    return within


async def postgres_database(server: str, create: bool, name: str) -> str:
    url = make_url(server)
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        if create:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


def run(backend: str, url: str, count: int, runs: int) -> bool:
    print(f"{backend}:", flush=True)
    migrate.upgrade(url)
    officer = asyncio.run(populate(url, count))
    return report(backend, asyncio.run(measure(url, officer, runs)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--database", help="measure this populated database only")
    args = parser.parse_args()
    if args.database:
        officer = asyncio.run(officer_of(args.database))
        times = asyncio.run(measure(args.database, officer, args.runs))
        sys.exit(0 if report(make_url(args.database).get_backend_name(), times) else 1)
    within = True
    with tempfile.TemporaryDirectory(prefix="cdht-console-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'cdht.db'}"
        within &= run("SQLite", url, args.submissions, args.runs)
    if args.postgres:
        name = f"bench_console_{uuid.uuid4().hex[:8]}"
        url = asyncio.run(postgres_database(args.postgres, True, name))
        try:
            within &= run("PostgreSQL", url, args.submissions, args.runs)
        finally:
            asyncio.run(postgres_database(args.postgres, False, name))
    sys.exit(0 if within else 1)


if __name__ == "__main__":
    main()
