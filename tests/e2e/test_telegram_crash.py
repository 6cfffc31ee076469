"""A process killed (SIGKILL) after the webhook answered 200 loses nothing: after a restart the
stored update is processed, once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.e2e.telegram_stack import SECRET, free_port
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram
ROOT = Path(__file__).resolve().parents[2]


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def until_listening(port: int, process: subprocess.Popen) -> None:
    async with asyncio.timeout(60), aiohttp.ClientSession() as http:
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def test_update_acknowledged_then_killed_is_processed_after_restart(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "cdht.db"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": fake_telegram.token,
        "TELEGRAM_API_URL": fake_telegram.base_url,
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
        "SCHEDULED_JOBS": "none",  # what the day's campaigns would add depends on the date
    }
    upgrade = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    url = f"http://127.0.0.1:{port}/telegram/webhook"

    web_only = start(["serve", "--no-workers"], env)
    try:
        await until_listening(port, web_only)
        status = await fake_telegram.post_webhook(
            fake_telegram.user_command(555, "/start"), url=url, secret=SECRET
        )
        web_only.send_signal(signal.SIGKILL)
        web_only.wait(10)
    finally:
        web_only.kill()
    assert status == 200
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0] == 1
        )
    assert fake_telegram.sent(555) == []

    restarted = start(["serve"], env)
    try:
        await until_listening(port, restarted)
        async with asyncio.timeout(30):
            while not any("THÔNG BÁO" in (m.get("text") or "") for m in fake_telegram.sent(555)):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # room for a second, wrong, delivery to show up
    finally:
        restarted.terminate()
        assert restarted.wait(30) == 0, restarted.stderr.read().decode()
    texts = [m["text"] for m in fake_telegram.sent(555) if m["method"] == "sendMessage"]
    assert len(texts) == 2 and "Xin chào" in texts[0] and "THÔNG BÁO" in texts[1]
