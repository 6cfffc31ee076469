"""Running the bot under test in its own process, as it runs in production: the benchmark's
process plays Telegram (the fake Bot API) and measures, the bot has the other core."""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import telegram_stack  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.procfile import bot  # noqa: E402


def telegram_worker(fake: FakeTelegram, url: str, rate: int, **env: str) -> subprocess.Popen:
    """`python -m bot worker` on the database at `url`, sending to `fake` at `rate`."""
    return start(
        bot("worker"),
        {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.base_url,
            "TELEGRAM_GLOBAL_RATE": str(rate),
            **env,
        },
    )


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """``command`` run from the repository, with `env` added, its output discarded."""
    return subprocess.Popen(
        command,
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


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system, all threads) the process has used so far: unlike a rate, a
    figure that other work on the machine barely moves."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: utime and stime are fields 14 and 15 of proc(5), in ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def until_idle(*processes: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until the processes have finished starting (they use next to no CPU), so that
    what is measured next is not their warm-up."""
    async with asyncio.timeout(seconds):
        before = sum(map(cpu_seconds, processes))
        while True:
            await asyncio.sleep(0.3)
            now = sum(map(cpu_seconds, processes))
            if now - before < 0.02:
                return
            before = now


def freeze_gc() -> None:
    """Keep the garbage collector of this process (the fake Telegram) off what is loaded by
    now. A full collection over it pauses the fake for about 0.2 s; the requests that came
    meanwhile would then count as one burst, which Telegram, counting as they arrive, never
    sees."""
    gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class Pace:
    """How the fake Bot API saw a run of sends at a rate limit of ``rate`` a second."""

    rate: int
    sent: int  # accepted
    per_second: float  # steady state: from the first accepted send to the last
    too_many: int  # answered 429

    @classmethod
    def of(cls, fake: FakeTelegram, rate: int) -> Pace:
        sends = [c for c in fake.calls if c.method == "sendMessage"]
        ok = [c.time for c in sends if c.status == 200]
        too_many = sum(1 for c in sends if c.status == 429)
        return cls(rate, len(ok), (len(ok) - 1) / (max(ok) - min(ok)), too_many)

    def __str__(self) -> str:
        return (
            f"{self.per_second:,.1f}/s = {self.per_second / self.rate:.3f} x R; "
            f"429s: {self.too_many}"
        )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


free_port = telegram_stack.free_port  # one way to find a port, shared with the tests


def paired(more: list[float], one: list[float]) -> str:
    """More worker processes against one, round by round (the two ran seconds apart, under
    the same load on the machine): the median of the ratios, and in how many rounds more
    were ahead or level."""
    ratios = [m / o for m, o in zip(more, one, strict=True)]
    ahead = sum(r >= 1 for r in ratios)
    return (
        f"median ratio {statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)}); "
        f"ahead or level in {ahead} of {len(ratios)} rounds"
    )


def worker_processes(count: int) -> str:
    return f"{count} worker process{'es' if count != 1 else ''}"
