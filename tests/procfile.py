"""The bot's long-running processes started as the Procfile starts them, so that tests and
benchmarks run (and measure) what production runs."""

from __future__ import annotations

import shlex
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@cache
def python_options() -> tuple[str, ...]:
    """The interpreter's options in the Procfile's web command (`python -OO -m bot serve`
    gives ("-OO",)): the worker's are the same (a test keeps them so)."""
    return options_of("web")


def options_of(kind: str) -> tuple[str, ...]:
    """The interpreter's options in the Procfile's command for the process ``kind``."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind:
            words = shlex.split(command)
            return tuple(words[1 : words.index("-m")])
    raise LookupError(f"the Procfile has no {kind} process")


def bot(*args: str) -> list[str]:
    """The command line of `python -m bot ARGS` as a long-running process of production."""
    return [sys.executable, *python_options(), "-m", "bot", *args]
