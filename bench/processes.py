"""Running the bot under test in its own process, as it runs in production: the benchmark's
process plays Telegram (the fake Bot API) and measures, the bot has the other core."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import telegram_stack  # noqa: E402


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`python ARGS` from the repository, with `env` added, its output discarded."""
    return subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until_up(url: str, process: subprocess.Popen, expect: set[int]) -> None:
    """Wait until `url` answers with one of `expect` (the process has started)."""
    async with asyncio.timeout(60), aiohttp.ClientSession() as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
            try:
                async with http.get(url) as response:
                    if response.status in expect:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


free_port = telegram_stack.free_port  # one way to find a port, shared with the tests
