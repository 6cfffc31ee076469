"""The bot killed (SIGKILL) loses nothing.

- A process killed after the webhook answered 200 processes the stored update after a
  restart, once.
- A polling bot killed again and again at random moments (while it polls, processes and
  delivers) tells each of several scripted people exactly what a bot never killed tells
  them: no answer lost, no step wrong, a message twice only if it was in flight at a kill,
  and nobody left waiting longer than ``SILENCE`` once the restarted bot is up (what a dead
  process held is released as the next one starts, not when its lease ends).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import aiohttp

from content import Content
from storage import migrate
from tests.e2e.telegram_stack import SECRET, TelegramUser, free_port
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.procfile import bot

fake_telegram = fixtures.fake_telegram
ROOT = Path(__file__).resolve().parents[2]
# Seeded: the same kill times (after each restart) on every run; CRASH_SEED tries others.
SEED = int(os.environ.get("CRASH_SEED", "20261206"))
PEOPLE = 5
KILLS = 6
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em")
SILENCE = 10.0  # seconds after a restart within which everyone waiting has their answer


def start(args: list[str], env: dict[str, str], log: IO[bytes] | int) -> subprocess.Popen:
    return subprocess.Popen(
        bot(*args),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def stderr(process: subprocess.Popen, log: Path | None = None) -> str:
    return log.read_text() if log else process.stderr.read().decode()


async def until_listening(port: int, process: subprocess.Popen) -> None:
    """Until the web server answers (whatever its health says)."""
    async with asyncio.timeout(60), aiohttp.ClientSession() as http:
        while True:
            if process.poll() is not None:
                raise AssertionError(stderr(process))
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz"):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)


def bot_env(fake: FakeTelegram, db: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
        "SCHEDULED_JOBS": "none",  # what the day's campaigns would add depends on the date
    }


async def upgraded(db: Path) -> None:
    await migrate.upgrade_async(f"sqlite+aiosqlite:///{db}")


async def test_update_acknowledged_then_killed_is_processed_after_restart(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "cdht.db"
    port = free_port()
    env = bot_env(fake_telegram, db, port)
    await upgraded(db)
    url = f"http://127.0.0.1:{port}/telegram/webhook"

    web_only = start(["serve", "--no-workers"], env, subprocess.PIPE)
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

    restarted = start(["serve"], env, subprocess.PIPE)
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


class Person(TelegramUser):
    """A scripted person who notes when they acted and when the answer they waited for came."""

    def __init__(self, fake: FakeTelegram, user_id: int) -> None:
        async def send(update: dict[str, Any]) -> None:
            fake.queue(update)  # the bot polls

        super().__init__(fake, user_id, send)
        self.waits: list[tuple[float, float]] = []

    async def wait_for(self, expect: str, seconds: float = 90) -> None:
        asked = time.monotonic()
        await super().wait_for(expect, seconds)
        self.waits.append((asked, time.monotonic()))

    def transcript(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """The messages the person was sent, with their buttons. (Not the edits that tick a
        pressed button's answer: those are made after processing, outside the outbox, and
        best effort: a kill may skip one, which loses nothing.)"""
        return [
            (
                m["method"],
                m.get("text") or m.get("caption") or "",
                tuple(
                    b["text"]
                    for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ),
            )
            for m in self.fake.sent(self.id)
            if m["method"] in {"sendMessage", "sendPhoto", "sendDocument"}
        ]


async def journey(person: Person, content: Content, n: int) -> None:
    """Consent, registration and the first indicator of the self-assessment."""
    await person.say("/start", "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN")
    await person.press("Đồng ý", "Họ và tên")
    await person.say(NAMES[n % len(NAMES)], "sinh năm nào")
    await person.say(str(1960 + n), "nhóm đối tượng")
    await person.press("Người dân", "xã/phường nào")
    await person.say("hai chau", "đúng không?")
    await person.press("Đúng", "thôn hoặc tổ dân phố")
    await person.press("Bỏ qua", "TRANG CHÍNH")
    await person.press("Bắt đầu tự đánh giá", "Chỉ số 1/10")
    for indicator in content.criteria_for("residents", date.today().year).indicators[:1]:
        expect = f"Chỉ số {indicator.number + 1}/10"
        if indicator.number_input is not None:
            await person.say(str(indicator.number_input.bands[-1].min), expect)
        else:
            await person.press(indicator.options[n % len(indicator.options)].label.vi, expect)


@dataclass
class Kill:
    restarted_at: float  # time.monotonic() when the next process had joined
    in_flight: int  # messages claimed and not recorded when it died
    unprocessed: int  # updates stored and not processed when it died


class PollingBot:
    """`python -m bot poll` on its own database, started again after every kill."""

    def __init__(self, fake: FakeTelegram, tmp: Path, name: str) -> None:
        self.db = tmp / f"{name}.db"
        self.log = tmp / f"{name}.log"
        self.port = free_port()
        self.env = bot_env(fake, self.db, self.port)
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        """Start it, and wait until it has joined the workers (and so released what a
        killed one held)."""
        with self.log.open("ab") as log:
            self.process = start(["poll"], self.env, log)
        async with asyncio.timeout(60):
            while not await asyncio.to_thread(self._joined, self.process.pid):
                if self.process.poll() is not None:
                    raise AssertionError(stderr(self.process, self.log))
                await asyncio.sleep(0.1)

    def _joined(self, pid: int) -> bool:
        with sqlite3.connect(self.db) as conn:
            return (
                conn.execute("SELECT 1 FROM workers WHERE pid = ?", (pid,)).fetchone() is not None
            )

    async def kill(self) -> Kill:
        assert self.process is not None and self.process.poll() is None, stderr(
            self.process, self.log
        )
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)
        with sqlite3.connect(self.db) as conn:
            [(in_flight,)] = conn.execute("SELECT count(*) FROM outbox WHERE status = 'sending'")
            [(unprocessed,)] = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL")
        await self.start()
        return Kill(time.monotonic(), in_flight, unprocessed)

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            assert await asyncio.to_thread(self.process.wait, 30) == 0, stderr(
                self.process, self.log
            )


async def everyone(fake: FakeTelegram, content: Content) -> list[Person]:
    people = [Person(fake, 7_000 + n) for n in range(PEOPLE)]
    await asyncio.gather(*(journey(person, content, n) for n, person in enumerate(people)))
    return people


async def killing(bot: PollingBot, rng: random.Random, done: Callable[[], bool]) -> list[Kill]:
    kills: list[Kill] = []
    while len(kills) < KILLS and not done():
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        if not done():
            kills.append(await bot.kill())
    return kills


def without_repeats(transcript: list[Any]) -> list[Any]:
    return [entry for n, entry in enumerate(transcript) if n == 0 or entry != transcript[n - 1]]


async def test_killed_at_random_moments_everyone_hears_what_they_would_have(
    content: Content, tmp_path: Path
) -> None:
    async with FakeTelegram() as calm_fake, FakeTelegram() as crash_fake:
        calm, crashing = (
            PollingBot(calm_fake, tmp_path, "calm"),
            PollingBot(crash_fake, tmp_path, "crashing"),
        )
        await upgraded(calm.db)
        await upgraded(crashing.db)
        await asyncio.gather(calm.start(), crashing.start())
        try:
            # Side by side: the same scripts against a bot left alone and one killed.
            calm_run = asyncio.create_task(everyone(calm_fake, content))
            crash_run = asyncio.create_task(everyone(crash_fake, content))
            kills = await killing(crashing, random.Random(SEED), crash_run.done)
            calm_people, crashed_people = await calm_run, await crash_run
            await asyncio.sleep(1)  # room for a late duplicate to show up
        finally:
            await asyncio.gather(calm.stop(), crashing.stop())

    assert len(kills) >= KILLS // 2, "the journeys ended before the bot was killed often"
    in_flight = sum(kill.in_flight for kill in kills)
    for calm_person, crashed in zip(calm_people, crashed_people, strict=True):
        expected, seen = calm_person.transcript(), crashed.transcript()
        # Nothing lost, nothing out of order or at a wrong step: only repeats of a message.
        assert without_repeats(seen) == without_repeats(expected), crashed.chat()
    repeats = sum(
        len(p.transcript()) - len(c.transcript())
        for p, c in zip(crashed_people, calm_people, strict=True)
    )
    assert 0 <= repeats <= in_flight
    # Whoever was waiting at a restart had their answer soon after it.
    silences = [
        answered - kill.restarted_at
        for kill in kills
        for person in crashed_people
        for asked, answered in person.waits
        if asked < kill.restarted_at < answered
    ]
    assert max(silences, default=0) <= SILENCE, (silences, kills)
    print(
        f"seed {SEED}: {len(kills)} kills, {sum(k.unprocessed > 0 for k in kills)} with updates"
        f" unprocessed, {sum(k.in_flight > 0 for k in kills)} with messages in flight;"
        f" {repeats} repeats of {in_flight} in flight; longest wait after a restart"
        f" {max(silences, default=0):.1f} s"
    )
