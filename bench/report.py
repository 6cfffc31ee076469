"""Annual report over a province: N generated citizens (each with a self-assessment of ten
answers, a certificate for each approval (one in a hundred revoked), and six in ten with
digital-skills checks) spread over the communes, units, target groups and states, in a SQLite
file migrated by the real migrations and, with --postgres, the same rows in a scratch
database on that server. Times `python -m bot report annual` for the province into xlsx in a
child process and prints its seconds and peak memory against the budget (30 s, 300 MB at a
million citizens), PostgreSQL beside SQLite, and whether both wrote the same report.
Generation, in another child, does not count: the rows are made once in Python and written
to both databases batch by batch (executemany into SQLite, binary COPY into PostgreSQL).

    python bench/report.py [--citizens 1000000] [--postgres URL] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2026
BUDGET_SECONDS, BUDGET_MB = 30, 300
# Shares of the year's assessments by state, and of citizens by target group.
STATES = {"draft": 20, "submitted": 10, "returned": 5, "approved": 50, "rejected": 15}
GROUPS = {"residents": 55, "workers": 20, "officials": 15, "learners": 10}
# Digital-skills checks: the share of citizens with one, of those who took a second (up to
# four months later: some finish after the year's end), and of checks left unfinished.
# Each check's answers are drawn
# from one of three abilities (the points a question gets), weighted so that the overall
# levels come out about 40 % none, 40 % basic, 20 % proficient.
CHECKED, RETAKEN, UNFINISHED = 0.6, 0.25, 0.1
# Every approval issues a certificate; a few are revoked later.
REVOKED = 0.01
ABILITIES = {(0, 1, 1, 2, 2): 30, (1, 2, 2, 2, 3, 3): 45, (2, 3, 3, 3, 3, 3, 3): 25}
# Checks drawn per ability beforehand, each scored once: scoring every check took a fifth of
# the generation.
DRAWN = 200
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam"]
BATCH = 50_000
# The columns written to each table, in the order of the generated rows' values.
COLUMNS = {
    "units": ("id", "commune_code", "name", "kind", "created_at"),
    "unit_populations": ("unit_code", "year", "adults", "staff", "updated_at"),
    "users": ("id", "locale", "created_at"),
    "profiles": (
        "user_id",
        "full_name",
        "birth_year",
        "target_group",
        "commune_code",
        "subunit_name",
        "unit_id",
        "guardian_consent",
        "consent_at",
        "notice_version",
        "opted_out",
        "registered_at",
        "updated_at",
    ),
    "assessments": (
        "id",
        "user_id",
        "year",
        "criteria_set_id",
        "criteria_set_version",
        "target_group",
        "status",
        "total",
        "threshold",
        "created_at",
        "updated_at",
        "submitted_at",
        "decided_at",
        "reopened",
        "submitted_points",
        "adjustments",
    ),
    "answers": ("assessment_id", "indicator_id", "option_id", "points", "evidence", "answered_at"),
    "skill_checks": (
        "user_id",
        "framework_version",
        "answers",
        "levels",
        "overall",
        "started_at",
        "finished_at",
    ),
    "certificates": (
        "id",
        "code",
        "number",
        "assessment_id",
        "user_id",
        "full_name",
        "birth_year",
        "commune_code",
        "target_group",
        "year",
        "total",
        "issued_at",
        "revoked_at",
        "revoke_reason",
    ),
}
Batch = dict[str, list[tuple[Any, ...]]]


def weighted(rng: random.Random, weights: dict[str, int], n: int) -> list[str]:
    return rng.choices(list(weights), list(weights.values()), k=n)


def batches(citizens: int, seed: int = 7) -> Iterator[Batch]:
    """The rows to write, table by table: first the units and their populations, then the
    citizens BATCH at a time. Moments are aware datetimes, JSON is text."""
    from content import load_content

    rng = random.Random(seed)
    content = load_content()
    communes = list(content.units.communes)
    framework = content.digital_skills
    questions = [q.id for _, q in framework.questions()]
    drawn = {}
    for ability in ABILITIES:
        drawn[ability] = []
        for _ in range(DRAWN):
            given = {q: rng.choice(ability) for q in questions}
            result = framework.result(given)
            drawn[ability].append((json.dumps(given), json.dumps(result.areas), result.overall))
    # Wards in the city centre are far bigger than remote communes.
    sizes = [rng.lognormvariate(0, 0.8) for _ in communes]
    units: dict[str, list[int]] = {}
    unit_rows = []
    created = datetime(YEAR, 1, 2, tzinfo=UTC)
    for code in communes:
        for n in range(rng.randint(0, 8)):
            unit_rows.append((len(unit_rows) + 1, code, f"Thôn {n + 1}", "village", created))
            units.setdefault(code, []).append(len(unit_rows))
    updated = datetime(YEAR, 2, 1, tzinfo=UTC)
    yield {
        "units": unit_rows,
        "unit_populations": [
            (code, YEAR, rng.randint(5_000, 40_000), rng.randint(300, 3_000), updated)
            for code in communes
        ],
    }
    start = datetime(YEAR, 1, 5, tzinfo=UTC)
    revoked_at = datetime(YEAR, 11, 20, 3, tzinfo=UTC)
    for first in range(1, citizens + 1, BATCH):
        ids = range(first, min(first + BATCH, citizens + 1))
        places = rng.choices(communes, sizes, k=len(ids))
        groups = weighted(rng, GROUPS, len(ids))
        states = weighted(rng, STATES, len(ids))
        users, profiles, assessments, answers, checks, certificates = [], [], [], [], [], []
        for uid, commune, group, state in zip(ids, places, groups, states, strict=True):
            at = start + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
            chosen = units.get(commune)
            unit = rng.choice(chosen) if chosen and rng.random() < 0.7 else None
            users.append((uid, "vi", at))
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            born = rng.randint(1950, 2008)
            subunit = None if unit else f"Tổ {rng.randint(1, 30)}"
            profiles.append(
                (
                    *(uid, name, born, group, commune, subunit, unit, False, at, "2026-01"),
                    *(False, at, at),
                )
            )
            points = [rng.choice((5, 8, 10)) for _ in range(10)]
            sent = None if state == "draft" else at + timedelta(days=rng.randint(1, 30))
            decided = (
                sent + timedelta(days=rng.randint(1, 20))
                if sent and state in ("approved", "rejected", "returned")
                else None
            )
            given = json.dumps({f"I{n + 1}": p for n, p in enumerate(points)}) if sent else "{}"
            assessments.append(
                (
                    *(uid, uid, YEAR, "vape-cdht-2023", "2023.1", group, state, sum(points), 80),
                    *(at, at, sent, decided, "[]", given, "{}"),
                )
            )
            answers += [(uid, f"I{n + 1}", "o", p, "[]", at) for n, p in enumerate(points)]
            if state == "approved" and decided is not None:
                revoked = rng.random() < REVOKED
                certificates.append(
                    (
                        *(uid, f"C{uid:011d}", f"48-{YEAR}-{uid:06d}", uid, uid, name, born),
                        *(commune, group, YEAR, sum(points), decided),
                        revoked_at if revoked else None,
                        "Khai không đúng" if revoked else None,
                    )
                )
            if rng.random() < CHECKED:
                taken = at
                for _ in range(2 if rng.random() < RETAKEN else 1):
                    taken += timedelta(days=rng.randint(0, 120))
                    ability = rng.choices(list(ABILITIES), list(ABILITIES.values()))[0]
                    given, levels, overall = drawn[ability][rng.randrange(DRAWN)]
                    done = taken + timedelta(minutes=rng.randint(3, 30))
                    finished = rng.random() >= UNFINISHED
                    checks.append(
                        (
                            *(uid, framework.version, given, levels if finished else "{}"),
                            *(overall if finished else None, taken, done if finished else None),
                        )
                    )
        yield {
            "users": users,
            "profiles": profiles,
            "assessments": assessments,
            "answers": answers,
            "skill_checks": checks,
            "certificates": certificates,
        }


def sqlite_moment(moment: datetime) -> str:
    """As SQLAlchemy stores a UTC moment in SQLite: naive, with microseconds."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def write_sqlite(db: sqlite3.Connection, batch: Batch) -> None:
    for table, rows in batch.items():
        columns = COLUMNS[table]
        db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows,
        )


async def generate(path: Path, postgres: str | None, citizens: int) -> None:
    """The same rows into the SQLite file and, if given, the PostgreSQL database, both
    migrated first; each batch goes to both at once (SQLite in a thread of its own)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from storage import migrate

    await migrate.upgrade_async(f"sqlite+aiosqlite:///{path}")
    # A citizen's rows share most of their moments: each is formatted once.
    sqlite3.register_adapter(datetime, lru_cache(maxsize=1024)(sqlite_moment))
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # A load, not the bot's work: no journal, and the indexes' pages kept in memory.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-500000")
    db.execute("BEGIN")
    pg = None
    if postgres:
        await migrate.upgrade_async(postgres)
        url = make_url(postgres).set(drivername="postgresql")
        pg = await asyncpg.connect(url.render_as_string(hide_password=False))
        # The rows are consistent by construction: no foreign-key trigger for each of them
        # (a superuser's setting, as pg_dump's --disable-triggers; a quarter of the load).
        await pg.execute("SET session_replication_role = replica")
        await pg.execute("BEGIN")

    copying = 0.0  # seconds, summed over the batches

    async def copy(batch: Batch) -> None:
        nonlocal copying
        if pg is not None:
            began = time.perf_counter()
            for table, rows in batch.items():
                await pg.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
            copying += time.perf_counter() - began

    for batch in batches(citizens):
        await asyncio.gather(asyncio.to_thread(write_sqlite, db, batch), copy(batch))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    if pg is not None:
        await pg.execute("COMMIT")
        # As autovacuum leaves tables after a load: statistics for the planner, and the
        # visibility map that lets a scan answer from an index alone.
        began = time.perf_counter()
        await pg.execute("VACUUM ANALYZE")
        await pg.close()
        print(
            f"report PostgreSQL: rows copied in {copying:.0f} s (beside SQLite's inserts),"
            f" vacuumed and analysed in {time.perf_counter() - began:.0f} s",
            flush=True,
        )


def counted(path: Path) -> Iterator[str]:
    db = sqlite3.connect(path)
    for table in ("profiles", "assessments", "answers", "skill_checks", "certificates"):
        yield f"{table} {db.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,}"
    db.close()


def run_report(url: str, out: Path) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak RSS (MB) of `report annual` in a child process of its
    own. Its CPU time and peak come from wait4 for that child alone: a child counts the
    memory of the process it was started from, so this process stays small (the data is
    generated, and the scratch database held, by other children). On a shared machine the
    CPU time is the steadier figure."""
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "report", "annual", "--year", str(YEAR), "--out", str(out)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"report annual failed ({child.returncode})")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - began, cpu, usage.ru_maxrss / 1024


def same_report(one: Path, other: Path) -> bool:
    """Whether two xlsx files hold the same sheets (the zip's own dates aside)."""
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(other) as b:
        names = a.namelist()
        return names == b.namelist() and all(a.read(n) == b.read(n) for n in names)


async def hold_database(server: str) -> None:
    """A scratch database on the server: print its URL, drop it when stdin closes."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import scratch_postgres_database

    async with scratch_postgres_database(server) as url:
        print(url, flush=True)
        await asyncio.to_thread(sys.stdin.read)


def measured(store: str, citizens: int, url: str, out: Path) -> tuple[float, float]:
    seconds, cpu, peak = run_report(url, out)
    print(
        f"report annual on {store}, province, {citizens:,} citizens -> xlsx"
        f" ({out.stat().st_size / 1e6:.0f} MB): {seconds:.1f} s (CPU {cpu:.1f} s),"
        f" peak RSS {peak:.0f} MB; {seconds / BUDGET_SECONDS:.2f} x the time budget"
        f" ({BUDGET_SECONDS} s), {peak / BUDGET_MB:.2f} x the memory budget ({BUDGET_MB} MB)",
        flush=True,
    )
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also on this PostgreSQL server (a scratch database), SQLite as the reference",
    )
    parser.add_argument("--keep", type=Path, help="Keep the SQLite file and reports here")
    # The children's parts.
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--into", help=argparse.SUPPRESS)
    parser.add_argument("--hold", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        asyncio.run(generate(args.generate, args.into, args.citizens))
        return
    if args.hold:
        asyncio.run(hold_database(args.hold))
        return
    holder = None
    if args.postgres:
        holder = subprocess.Popen(
            [sys.executable, __file__, "--hold", args.postgres],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    try:
        postgres = holder.stdout.readline().strip() if holder and holder.stdout else None
        with tempfile.TemporaryDirectory() as scratch:
            folder = args.keep or Path(scratch)
            database = folder / "report-bench.db"
            database.unlink(missing_ok=True)
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, __file__, "--generate", str(database)]
                + (["--into", postgres] if postgres else [])
                + ["--citizens", str(args.citizens)],
                check=True,
            )
            into = " into SQLite and PostgreSQL" if postgres else ""
            print(
                f"report generated {', '.join(counted(database))}{into} in"
                f" {time.perf_counter() - began:.0f} s ({database.stat().st_size / 1e9:.1f} GB"
                " SQLite file)",
                flush=True,
            )
            reference = folder / "report-bench-sqlite.xlsx"
            lite_seconds, lite_peak = measured(
                "SQLite", args.citizens, f"sqlite+aiosqlite:///{database}", reference
            )
            if postgres:
                out = folder / "report-bench-postgres.xlsx"
                seconds, peak = measured("PostgreSQL", args.citizens, postgres, out)
                print(
                    f"report annual on PostgreSQL: {seconds / lite_seconds:.2f} x SQLite's time,"
                    f" {peak / lite_peak:.2f} x its peak RSS; the same report as SQLite's:"
                    f" {'yes' if same_report(out, reference) else 'NO'}"
                )
    finally:
        if holder is not None:
            holder.communicate()


if __name__ == "__main__":
    main()
