"""Annual report over a province: N generated citizens (each with a self-assessment of ten
answers, a certificate for each approval (one in a hundred revoked), and six in ten with
digital-skills checks) spread over the communes, units, target groups and states, in a SQLite
file migrated by the real migrations. Times `python -m bot
report annual` for the province into xlsx in a child process and prints its seconds and peak
memory (generation, in another child, does not count).

    python bench/report.py [--citizens 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

YEAR = 2026
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
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam"]
BATCH = 50_000


def weighted(rng: random.Random, weights: dict[str, int], n: int) -> list[str]:
    return rng.choices(list(weights), list(weights.values()), k=n)


def generate(path: Path, citizens: int, seed: int = 7) -> None:
    # Imported here: the measuring parent must stay small (see run_report).
    from content import load_content
    from storage import migrate

    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(seed)
    content = load_content()
    communes = list(content.units.communes)
    framework = content.digital_skills
    questions = [q.id for _, q in framework.questions()]
    # Wards in the city centre are far bigger than remote communes.
    sizes = [rng.lognormvariate(0, 0.8) for _ in communes]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    units: dict[str, list[int]] = {}
    unit_rows = []
    for code in communes:
        for n in range(rng.randint(0, 8)):
            unit_rows.append((len(unit_rows) + 1, code, f"Thôn {n + 1}", "village"))
            units.setdefault(code, []).append(len(unit_rows))
    db.executemany(
        "INSERT INTO units (id, commune_code, name, kind, created_at) "
        "VALUES (?, ?, ?, ?, '2026-01-02 00:00:00.000000')",
        unit_rows,
    )
    db.executemany(
        "INSERT INTO unit_populations (unit_code, year, adults, staff, updated_at) "
        "VALUES (?, ?, ?, ?, '2026-02-01 00:00:00.000000')",
        [(code, YEAR, rng.randint(5_000, 40_000), rng.randint(300, 3_000)) for code in communes],
    )
    start = datetime(YEAR, 1, 5, tzinfo=UTC)
    for first in range(1, citizens + 1, BATCH):
        ids = range(first, min(first + BATCH, citizens + 1))
        places = rng.choices(communes, sizes, k=len(ids))
        groups = weighted(rng, GROUPS, len(ids))
        states = weighted(rng, STATES, len(ids))
        users, profiles, assessments, answers, checks, certificates = [], [], [], [], [], []
        for uid, commune, group, state in zip(ids, places, groups, states, strict=True):
            moment = start + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
            at = moment.strftime("%Y-%m-%d %H:%M:%S.000000")
            chosen = units.get(commune)
            unit = rng.choice(chosen) if chosen and rng.random() < 0.7 else None
            users.append((uid, at))
            profiles.append(
                (
                    uid,
                    f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    rng.randint(1950, 2008),
                    group,
                    commune,
                    None if unit else f"Tổ {rng.randint(1, 30)}",
                    unit,
                    at,
                    at,
                    at,
                )
            )
            points = [rng.choice((5, 8, 10)) for _ in range(10)]
            sent = None if state == "draft" else moment + timedelta(days=rng.randint(1, 30))
            decided = (
                sent + timedelta(days=rng.randint(1, 20))
                if state in ("approved", "rejected", "returned")
                else None
            )
            assessments.append(
                (
                    uid,
                    uid,
                    group,
                    state,
                    sum(points),
                    at,
                    at,
                    sent and sent.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    decided and decided.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    json.dumps({f"I{n + 1}": p for n, p in enumerate(points)}) if sent else "{}",
                )
            )
            answers += [(uid, f"I{n + 1}", "o", p, at) for n, p in enumerate(points)]
            if state == "approved" and decided is not None:
                revoked = rng.random() < REVOKED
                certificates.append(
                    (
                        uid,
                        f"C{uid:011d}",
                        f"48-{YEAR}-{uid:06d}",
                        uid,
                        uid,
                        profiles[-1][1],
                        profiles[-1][2],
                        commune,
                        group,
                        sum(points),
                        decided.strftime("%Y-%m-%d %H:%M:%S.000000"),
                        "2026-11-20 03:00:00.000000" if revoked else None,
                        "Khai không đúng" if revoked else None,
                    )
                )
            if rng.random() < CHECKED:
                taken = moment
                for _ in range(2 if rng.random() < RETAKEN else 1):
                    taken += timedelta(days=rng.randint(0, 120))
                    ability = rng.choices(list(ABILITIES), list(ABILITIES.values()))[0]
                    given = {q: rng.choice(ability) for q in questions}
                    result = framework.result(given)
                    done = taken + timedelta(minutes=rng.randint(3, 30))
                    finished = rng.random() >= UNFINISHED
                    checks.append(
                        (
                            uid,
                            framework.version,
                            json.dumps(given),
                            json.dumps(result.areas) if finished else "{}",
                            result.overall if finished else None,
                            taken.strftime("%Y-%m-%d %H:%M:%S.000000"),
                            done.strftime("%Y-%m-%d %H:%M:%S.000000") if finished else None,
                        )
                    )
        db.executemany("INSERT INTO users (id, locale, created_at) VALUES (?, 'vi', ?)", users)
        db.executemany(
            "INSERT INTO profiles (user_id, full_name, birth_year, target_group, commune_code,"
            " subunit_name, unit_id, guardian_consent, consent_at, notice_version, opted_out,"
            " registered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '2026-01', 0, ?, ?)",
            profiles,
        )
        db.executemany(
            "INSERT INTO assessments (id, user_id, year, criteria_set_id, criteria_set_version,"
            " target_group, status, total, threshold, passed, created_at, updated_at,"
            " submitted_at, decided_at, reopened, submitted_points, adjustments)"
            f" VALUES (?, ?, {YEAR}, 'vape-cdht-2023', '2023.1', ?, ?, ?, 80, NULL, ?, ?, ?, ?,"
            " '[]', ?, '{}')",
            assessments,
        )
        db.executemany(
            "INSERT INTO answers (assessment_id, indicator_id, option_id, raw_value, points,"
            " evidence, answered_at) VALUES (?, ?, ?, NULL, ?, '[]', ?)",
            answers,
        )
        db.executemany(
            "INSERT INTO skill_checks (user_id, framework_version, answers, levels, overall,"
            " started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            checks,
        )
        db.executemany(
            "INSERT INTO certificates (id, code, number, assessment_id, user_id, full_name,"
            " birth_year, commune_code, target_group, year, total, issued_at, revoked_at,"
            f" revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {YEAR}, ?, ?, ?, ?)",
            certificates,
        )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def counted(path: Path) -> Iterator[str]:
    db = sqlite3.connect(path)
    for table in ("profiles", "assessments", "answers", "skill_checks", "certificates"):
        yield f"{table} {db.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,}"
    db.close()


def run_report(url: str, out: Path) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak RSS (MB) of `report annual` in a child process of its
    own. Its CPU time and peak come from wait4 for that child alone: a child counts the
    memory of the process it was started from, so this process stays small (the data is
    generated in another child). On a shared machine the CPU time is the steadier figure."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Keep the database and report in this folder")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.citizens)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        database, out = folder / "report-bench.db", folder / "report-bench.xlsx"
        database.unlink(missing_ok=True)
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--generate",
                str(database),
                "--citizens",
                str(args.citizens),
            ],
            check=True,
        )
        print(
            f"report generated {', '.join(counted(database))} in"
            f" {time.perf_counter() - began:.0f} s ({database.stat().st_size / 1e9:.1f} GB)"
        )
        seconds, cpu, peak = run_report(f"sqlite+aiosqlite:///{database}", out)
        print(
            f"report annual, province, {args.citizens:,} citizens -> xlsx"
            f" ({out.stat().st_size / 1e6:.0f} MB): {seconds:.1f} s (CPU {cpu:.1f} s),"
            f" peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
