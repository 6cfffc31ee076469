"""One bad update stops no one: it is set aside once as a dead letter with its reason, the
rest are answered, and the dead-letter CLI reads, retries and drops it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.channels import telegram, zalo_bot
from bot.channels.telegram_api import BotApi
from bot.cli import app
from bot.inbox import InboxProcessor, InboxWriter
from content import Content, load_content
from handlers.engine import Engine
from handlers.events import Event, Outcome
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import ChannelIdentity, InboxUpdate, OutboxMessage
from storage.repositories import inbox
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.storage.factories import T0, Sessions

fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def processor(sessions: Sessions, content: Content, bot: BotApi, engine: Engine | None = None):
    return InboxProcessor(
        sessions,
        engine or Engine(sessions, content),
        {
            telegram.CHANNEL: telegram.TelegramInbound(bot),
            zalo_bot.CHANNEL: zalo_bot.ZaloBotInbound(),
        },
        claims=sessions.kw["bind"].dialect.name == "postgresql",  # as the services run it
    )


async def store(sessions: Sessions, *updates: dict[str, Any]) -> None:
    writer = InboxWriter(sessions)
    await asyncio.gather(*(writer.store(telegram.inbox_row(u)) for u in updates))


async def drain(p: InboxProcessor) -> None:
    while await p.run_once():
        pass


async def answered(sessions: Sessions) -> set[str]:
    async with sessions() as session:
        return set(await session.scalars(select(OutboxMessage.chat_id)))


async def dead(sessions: Sessions) -> dict[str, str]:
    async with sessions() as session:
        return {r.update_id: r.dead_reason or "" for r in await inbox.dead_letters(session)}


async def test_an_unreadable_update_is_set_aside_once_and_everyone_else_is_answered(
    session_factory: Sessions,
    content: Content,
    fake_telegram: FakeTelegram,
    telegram_bot: BotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    poison = fake_telegram.user_text(1, "/start")
    poison["message"]["text"] = 5  # the right secret, the wrong type
    huge_date = fake_telegram.user_text(2, "/start")
    huge_date["message"]["date"] = 10**30
    fine = [fake_telegram.user_text(uid, "/start") for uid in (3, 4)]
    await store(session_factory, poison, huge_date, *fine)
    p = processor(session_factory, content, telegram_bot)

    with caplog.at_level(logging.INFO, logger="bot.inbox"):
        await drain(p)
        await drain(p)  # and again, after a "restart": nothing comes back

    assert await answered(session_factory) == {"3", "4"}
    reasons = await dead(session_factory)
    assert set(reasons) == {str(poison["update_id"]), str(huge_date["update_id"])}
    assert "message.text: expected text, got int 5" in reasons[str(poison["update_id"])]
    assert "date" in reasons[str(huge_date["update_id"])]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info is None for r in errors)  # a line, no traceback
    # The same person's next message is answered: the dead letter blocks no one.
    await store(session_factory, fake_telegram.user_text(1, "/start"))
    await drain(p)
    assert "1" in await answered(session_factory)
    async with session_factory() as session:
        assert await inbox.pending_count(session) == 0
        assert await inbox.dead_count(session) == 2


class FailsOn(Engine):
    """The real engine, except that events from these people raise outside any step (as a
    value the database refuses would)."""

    def __init__(self, sessions: Sessions, content: Content, people: Sequence[str]) -> None:
        super().__init__(sessions, content)
        self.people = set(people)

    async def handle_batch(self, batch: Sequence[Event]) -> list[Outcome]:
        if any(e.external_user_id in self.people for e in batch):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return await super().handle_batch(batch)


async def test_a_failing_batch_is_retried_one_by_one_and_only_the_culprit_set_aside(
    session_factory: Sessions, content: Content, fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    updates = [fake_telegram.user_text(uid, "/start") for uid in (11, 12, 13, 14)]
    await store(session_factory, *updates)
    p = processor(session_factory, content, telegram_bot, FailsOn(session_factory, content, ["12"]))

    await drain(p)

    assert await answered(session_factory) == {"11", "13", "14"}
    assert list((await dead(session_factory)).values()) == [
        "OverflowError: Python int too large to convert to SQLite INTEGER (at test_dead_letters.py:"
        f"{FailsOn.handle_batch.__code__.co_firstlineno + 2})"
    ]


async def test_a_huge_id_fails_only_its_own_update_in_a_group_commit(
    session_factory: Sessions,
) -> None:
    writer = InboxWriter(session_factory)
    good = [inbox.NewUpdate("telegram", str(n), str(n), n, {"update_id": n}) for n in (1, 2, 3)]
    bad = inbox.NewUpdate("telegram", "4", "4", 10**30, {"update_id": 10**30})

    results = await asyncio.gather(
        *(writer.store(u) for u in [good[0], bad, *good[1:]]), return_exceptions=True
    )

    assert results[0] is True and results[2:] == [True, True]
    assert isinstance(results[1], Exception)
    async with session_factory() as session:
        kept = set(await session.scalars(select(InboxUpdate.update_id)))
    assert kept == {"1", "2", "3"}


async def test_retry_and_drop(
    session_factory: Sessions, content: Content, fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    first, second = (fake_telegram.user_text(uid, "/start") for uid in (21, 22))
    await store(session_factory, first, second)
    p = processor(
        session_factory, content, telegram_bot, FailsOn(session_factory, content, ["21", "22"])
    )
    await drain(p)
    async with session_factory() as session:
        ids = [r.id for r in await inbox.dead_letters(session)]
    assert len(ids) == 2

    # The bug fixed: one is retried and answered, the other dropped.
    async with session_factory() as session, session.begin():
        assert await inbox.retry_dead(session, ids[0])
        assert await inbox.drop_dead(session, ids[1], T0)
        assert not await inbox.retry_dead(session, ids[1])  # no longer a dead letter
    await drain(processor(session_factory, content, telegram_bot))
    assert await answered(session_factory) == {"21"}
    async with session_factory() as session:
        assert await inbox.dead_count(session) == 0
        identities = set(await session.scalars(select(ChannelIdentity.external_user_id)))
    assert identities == {"21"}


def test_the_dead_letters_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)

    async def two_dead_letters() -> None:
        db = create_engine(url)
        async with make_sessionmaker(db)() as session, session.begin():
            await inbox.store(
                session,
                [
                    inbox.NewUpdate("zalo_bot", f"k{n}", "u", n, {"event_name": "x", "n": n})
                    for n in (1, 2)
                ],
                T0,
            )
            await inbox.mark_dead(
                session, {1: "Unreadable: message: expected an object", 2: "?"}, T0
            )
        await db.dispose()

    asyncio.run(two_dead_letters())
    runner = CliRunner()
    listed = runner.invoke(app, ["inbox", "dead-letters", "list"])
    assert listed.exit_code == 0
    assert "1\t2025-03-01 08:00:00\tzalo_bot\tk1\tUnreadable: message: expected an object" in (
        listed.output
    )
    assert "2 dead letter(s)" in listed.output
    shown = runner.invoke(app, ["inbox", "dead-letters", "show", "1"])
    assert shown.exit_code == 0 and '"event_name": "x"' in shown.output
    assert runner.invoke(app, ["inbox", "dead-letters", "retry", "1"]).exit_code == 0
    assert runner.invoke(app, ["inbox", "dead-letters", "drop", "2"]).exit_code == 0
    assert "0 dead letter(s)" in runner.invoke(app, ["inbox", "dead-letters", "list"]).output
    missing = runner.invoke(app, ["inbox", "dead-letters", "show", "2"])
    assert missing.exit_code == 1 and "no dead letter 2" in missing.output


class Outage:
    """Sessions from the real factory until the database "goes away"."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.down = False

    def __call__(self) -> Any:
        if self.down:
            raise ConnectionRefusedError("database unreachable")
        return self.sessions()


class LosesTheDatabase(Engine):
    def __init__(self, sessions: Sessions, content: Content, outage: Outage) -> None:
        super().__init__(sessions, content)
        self.outage = outage

    async def handle_batch(self, batch: Sequence[Event]) -> list[Outcome]:
        self.outage.down = True
        raise ConnectionResetError("connection lost mid-batch")


async def test_a_database_outage_sets_nothing_aside(
    session_factory: Sessions, content: Content, fake_telegram: FakeTelegram, telegram_bot: BotApi
) -> None:
    await store(session_factory, fake_telegram.user_text(31, "/start"))
    outage = Outage(session_factory)
    inbound = {telegram.CHANNEL: telegram.TelegramInbound(telegram_bot)}
    broken = InboxProcessor(outage, LosesTheDatabase(session_factory, content, outage), inbound)  # type: ignore[arg-type]

    with pytest.raises(ConnectionResetError):
        await broken.run_once()

    async with session_factory() as session:
        assert (await inbox.pending_count(session), await inbox.dead_count(session)) == (1, 0)
    await drain(processor(session_factory, content, telegram_bot))  # back: it is answered
    assert await answered(session_factory) == {"31"}
