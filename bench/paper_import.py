"""Importing a village batch of paper forms: N rows (default 10,000; a few hundred communes'
worth of people in one file) written into a filled template with openpyxl, imported by
`python -m bot paper import` into a SQLite file migrated by the real migrations, in a child
process. Prints the import's seconds (the issue asks for under a minute for 10,000 rows),
its rate, and its ratio to a reference measured in the same run: openpyxl merely reading the
same file's rows. A second import of the same file (which must change nothing) is timed too.

    python bench/paper_import.py [--rows 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam"]


def filled(path: Path, rows: int) -> None:
    """A template filled with `rows` distinct people of Phường Hải Châu, answers drawn as a
    branch would copy them (labels, option numbers, digits, words for small numbers)."""
    sys.path.insert(0, str(ROOT))
    from openpyxl import load_workbook

    from bot.documents.paper_xlsx import SHEET, Place, template
    from content import load_content

    content = load_content()
    group = content.criteria_for("residents", 2026)
    blank = path.with_suffix(".blank.xlsx")
    template(Place("20242", "Phường Hải Châu", [], [group]), blank)
    book = load_workbook(blank)
    sheet = book[SHEET]
    rng = random.Random(13)
    for i in range(rows):
        answers: list[object] = []
        for indicator in group.indicators:
            if indicator.number_input is not None:
                answers.append(rng.choice([4, "6", "mười", 12]))
            else:
                pick = rng.randrange(2)
                answers.append(indicator.options[pick].label.vi if rng.random() < 0.7 else pick + 1)
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {i:05d}"
        sheet.append(
            [
                name,
                1940 + i % 60,
                group.title.vi,
                "20242",
                f"Tổ {i % 40 + 1}",
                "15/11/2026",
                *answers,
                "",
            ]
        )
    book.save(path)
    blank.unlink()


def reference(path: Path) -> float:
    """openpyxl reading every row of the file, as the import's first step does."""
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    for _ in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - start


def imported(path: Path, database: Path) -> tuple[float, float, str]:
    """The import's wall seconds, its CPU seconds (what counts on a shared machine) and
    its summary line."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PYTHONPATH": str(ROOT),
    }
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "paper", "import", str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"import failed:\n{done.stdout}\n{done.stderr}")
    return seconds, cpu, done.stdout.strip().splitlines()[-1]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="Keep the workbook and database here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paper-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    book, database = folder / "phieu.xlsx", folder / "paper.db"
    database.unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT))
    from storage import migrate

    filled(book, args.rows)
    migrate.upgrade(f"sqlite+aiosqlite:///{database}")
    read = reference(book)
    first, first_cpu, said = imported(book, database)
    again, again_cpu, said_again = imported(book, database)
    scale = 10_000 / args.rows
    print(f"rows: {args.rows}")
    print(f"reference (openpyxl reads the rows, in this process): {read:.2f} s")
    for title, wall, cpu, line in (
        ("import", first, first_cpu, said),
        ("re-import of the same file", again, again_cpu, said_again),
    ):
        print(
            f"{title}: {wall:.2f} s wall, {cpu:.2f} s CPU, {args.rows / wall:,.0f} rows/s, "
            f"{wall / read:.1f}x the reference"
        )
        print(f"  {line}")
    # On a machine shared with other work the wall time grows with the load; the CPU time
    # is what the import itself costs.
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for what, seconds in (("wall", first), ("CPU", first_cpu)):
        at = seconds * scale
        verdict = "met" if at < 60 else "MISSED"
        print(f"target 10,000 rows under 60 s, by {what} time: {at:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
