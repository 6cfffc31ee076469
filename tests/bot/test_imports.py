"""What the long-running processes load: each is meant to fit a small machine (100 MB), so
what only some commands use stays out of them until used. Checked in a fresh interpreter, as
a process starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Heavy, and needed by none of `serve`, `poll`, `worker` or `run` at start: aiogram (its
# models are ~120 MB; the bot speaks the Bot API's JSON itself), the documents' makers
# (PDF, spreadsheets, fonts, images), the whole country's old-commune table and its wards as
# enum members (the deployment's communes are read from the data file), and the command
# line's progress bars.
DOCUMENTS = (
    "aiogram",
    "fpdf",
    "openpyxl",
    "fontTools",
    "PIL",
    "vietnam_address_converter",
    "vietnam_provinces",
    "rich",
)
# The web console's templates load with its first page, and the QR codes of its invites with
# the first invite shown, not where pages may be served.
PAGES = ("jinja2", "segno")


def loaded(modules: str) -> set[str]:
    """The modules a fresh interpreter holds after importing ``modules`` and building the
    runtime (settings, content, engine), as a process starts."""
    code = (
        f"import json, sys; import {modules}; import bot.runtime; bot.runtime.build(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize(
    ("modules", "not_at_start"),
    [
        # `worker`: no pages.
        ("bot.cli, bot.services, bot.runtime", DOCUMENTS + PAGES),
        # `serve` and `poll` also build the web server and its console, whose pages make
        # documents (a workbook read, receipts printed) only when asked, and are rendered
        # only when asked.
        ("bot.cli, bot.services, bot.runtime, bot.web.server", DOCUMENTS + PAGES),
    ],
    ids=["worker", "serve"],
)
def test_the_long_running_processes_load_none_of_the_heavy_libraries(
    modules: str, not_at_start: tuple[str, ...]
) -> None:
    assert not set(not_at_start) & {name.split(".")[0] for name in loaded(modules)}


def test_a_process_on_sqlite_loads_no_postgresql_dialect() -> None:
    # About 2 MB of SQLAlchemy's modules, which the models' partial indexes and the upserts
    # used to load everywhere.
    modules = loaded("bot.cli, bot.services, bot.runtime, bot.web.server")
    assert "sqlalchemy.dialects.sqlite" in modules
    assert "sqlalchemy.dialects.postgresql" not in modules


def test_the_consoles_pages_load_with_their_first_request() -> None:
    from bot.web.console import PAGES

    modules = loaded("bot.cli, bot.services, bot.runtime, bot.web.server")
    assert "bot.web.console.auth" in modules  # who may see a page is checked from the start
    assert not {f"bot.web.console.{target.split('.')[0]}" for _, _, target, _ in PAGES} & modules
