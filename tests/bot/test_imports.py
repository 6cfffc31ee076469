"""What the long-running processes load: each is meant to fit a small machine (100 MB), so
what only some commands use stays out of them until used. Checked in a fresh interpreter, as
a process starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Heavy, and needed by none of `serve`, `poll`, `worker` or `run` at start: aiogram (its
# models are ~120 MB; the bot speaks the Bot API's JSON itself), the documents' makers
# (PDF, spreadsheets, fonts, images) and the whole country's old-commune table; the web
# console's templates load only where pages are served (not in `worker`).
NOT_AT_START = (
    "aiogram",
    "fpdf",
    "openpyxl",
    "fontTools",
    "PIL",
    "vietnam_address_converter",
    "jinja2",
)


def test_the_long_running_processes_load_none_of_the_heavy_libraries() -> None:
    code = (
        "import json, sys; import bot.cli, bot.services, bot.runtime; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    assert not set(NOT_AT_START) & set(loaded)
