"""The daily pass of pushes over a real database: who gets a reminder, a follow-up or a
campaign message, once, within the weekly cap, never after opting out or blocking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select, update

from bot import jobs
from bot.pushes import Pushes, PushRules
from content import load_content
from handlers.engine import Engine
from storage.models import ChannelIdentity, OutboxMessage, Recommendation
from tests.handlers.conftest import Chat, Clock, register
from tests.handlers.test_learning import answer_all
from tests.handlers.test_skills import take
from tests.storage.factories import Sessions

CONTENT = load_content()
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def bot_engine(session_factory: Sessions, clock: Clock) -> Engine:
    return Engine(session_factory, CONTENT, clock=clock)


def pushes(bot_engine: Engine, **rules: object) -> Pushes:
    return Pushes(bot_engine.sessions, CONTENT, bot_engine.catalogs, PushRules(**rules))  # type: ignore[arg-type]


async def queued(bot_engine: Engine) -> list[tuple[str, str]]:
    """(chat id, text) of every push queued, oldest first."""
    async with bot_engine.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)
        )
        return [(m.chat_id, m.payload["text"]) for m in rows]


async def test_reminders_after_3_then_10_idle_days_at_most_two(
    bot_engine: Engine, clock: Clock
) -> None:
    chat = Chat(bot_engine)
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")  # a draft, then nothing
    daily = pushes(bot_engine)

    clock.advance(days=2)
    assert await daily.run(clock.now) == {}
    clock.advance(days=1)
    assert (await daily.run(clock.now))["reminder"] == 1
    assert (await daily.run(clock.now))["reminder"] == 0  # the same day again: claimed
    clock.advance(days=6)
    assert (await daily.run(clock.now))["reminder"] == 0  # 9 days idle
    clock.advance(days=1)
    assert (await daily.run(clock.now))["reminder"] == 1
    clock.advance(days=30)
    assert (await daily.run(clock.now))["reminder"] == 0

    sent = await queued(bot_engine)
    assert [chat_id for chat_id, _ in sent] == ["chat-an", "chat-an"]
    assert "chưa hoàn thành bản tự đánh giá năm 2026" in sent[0][1]


async def test_no_pushes_after_opting_out_or_blocking(bot_engine: Engine, clock: Clock) -> None:
    stopped, blocked = Chat(bot_engine, user="an"), Chat(bot_engine, user="binh")
    for chat in (stopped, blocked):
        await register(chat)
        await chat.press("Bắt đầu tự đánh giá")
    await stopped.command("stop")
    async with bot_engine.sessions() as session, session.begin():
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.external_user_id == "binh")
            .values(unreachable_at=clock.now)
        )
    clock.advance(days=3)

    assert (await pushes(bot_engine).run(clock.now))["reminder"] == 0
    assert await queued(bot_engine) == []


async def test_a_follow_up_a_week_after_a_suggestion_unless_done(
    bot_engine: Engine, clock: Clock
) -> None:
    chat = Chat(bot_engine)
    await register(chat)
    await take(chat, [0] * 15)  # three suggestions, each due for a follow-up in 7 days
    async with bot_engine.sessions() as session:
        first = (await session.scalars(select(Recommendation).order_by(Recommendation.id))).first()
    assert first is not None
    await chat.payload(f"*learned:{first.id}")

    clock.advance(days=7)
    counts = await pushes(bot_engine, weekly_cap=5).run(clock.now)

    assert counts["followup"] == 2
    async with bot_engine.sessions() as session:
        rows = list(await session.scalars(select(Recommendation).order_by(Recommendation.id)))
        payloads = [
            m.payload
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "reminder")
            )
        ]
    assert all(r.follow_up_at is None for r in rows)
    assert [b[1] for p in payloads for b in p["buttons"] if b[1].startswith("*learned")] == [
        f"*learned:{r.id}" for r in rows[1:]
    ]


async def test_the_weekly_cap_holds_follow_ups_for_a_day(bot_engine: Engine, clock: Clock) -> None:
    chat = Chat(bot_engine)
    await register(chat)
    await take(chat, [0] * 15)
    clock.advance(days=7)

    counts = await pushes(bot_engine, weekly_cap=1).run(clock.now)

    assert (counts["followup"], counts["capped"]) == (1, 2)
    async with bot_engine.sessions() as session:
        later = [
            r.follow_up_at
            for r in await session.scalars(select(Recommendation).order_by(Recommendation.id))
        ]
    assert later[0] is None
    assert later[1:] == [clock.now.replace(day=clock.now.day + 1)] * 2


async def test_a_campaign_reaches_its_audience_once_a_year(
    session_factory: Sessions, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    bot_engine = Engine(session_factory, CONTENT, clock=clock)
    done, late, fresh = Chat(bot_engine, "an"), Chat(bot_engine, "binh"), Chat(bot_engine, "chi")
    for chat in (done, late, fresh):
        await register(chat)
    await answer_all(done, {})
    await done.press("Nộp bản tự đánh giá")
    await done.press("Nộp ngay")
    await late.press("Bắt đầu tự đánh giá")

    clock.advance(days=1)  # 1 December: "submit before 15 December" to whoever has not
    daily = pushes(bot_engine, weekly_cap=5)
    first, second = await asyncio.gather(daily.run(clock.now), daily.run(clock.now))
    clock.advance(days=1)
    again = await daily.run(clock.now)

    assert first["campaign"] + second["campaign"] == 2
    assert again["campaign"] == 0
    sent = await queued(bot_engine)
    assert sorted(chat_id for chat_id, _ in sent) == ["chat-binh", "chat-chi"]
    assert all("15/12" in text for _, text in sent)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [(time(21, 0), True), (time(23, 30), True), (time(6, 59), True), (time(7, 0), False)],
)
def test_quiet_hours_wrap_midnight_in_vietnam(local: time, quiet: bool) -> None:
    hour_utc = (local.hour - 7) % 24
    now = datetime(2026, 5, 1, hour_utc, local.minute, tzinfo=UTC)
    assert PushRules().quiet(now) is quiet
    assert PushRules.parse_hours("21:00-07:00") == (time(21, 0), time(7, 0))


def test_the_daily_pass_is_due_outside_quiet_hours_once_a_local_day(bot_engine: Engine) -> None:
    job = jobs.daily_pushes(pushes(bot_engine))
    assert job.due(datetime(2026, 5, 1, 15, 0, tzinfo=UTC)) is None  # 22:00 in Vietnam
    assert job.due(datetime(2026, 5, 1, 23, 30, tzinfo=UTC)) is None  # 06:30 the next day
    assert job.due(datetime(2026, 5, 2, 0, 0, tzinfo=UTC)) == "2026-05-02"  # 07:00
