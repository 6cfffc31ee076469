"""The engine's guarantees: one effect per event, all-or-nothing, nothing lost on restart,
no input that crashes a conversation, and erasure that leaves nothing personal behind."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import JSON, String, Text, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content, load_content
from handlers.engine import Engine
from handlers.events import EventKind
from handlers.flows.common import MISSES
from storage import models
from storage.db import create_engine, make_sessionmaker
from storage.models import Answer, Conversation, OutboxMessage, ProcessedEvent
from storage.repositories import outbox
from tests.handlers.conftest import REGISTER, Chat, Clock, register

# Each indicator answered by typing: the first option's number, or the top band's number.
EVERY_ANSWER = [
    str(i.number_input.bands[-1].min) if i.number_input is not None else "1"
    for i in load_content().criteria_for("residents", 2026).indicators
]
# A prefix of the registration script for each step, to test that step's bad input.
STEPS = {
    ("start", "consent"): ["/start"],
    ("register", "name"): REGISTER[:2],
    ("register", "birth_year"): REGISTER[:3],
    ("register", "group"): REGISTER[:4],
    ("register", "commune"): REGISTER[:5],
    ("register", "subunit"): REGISTER[:7],
    ("menu", "main"): REGISTER,
    ("assess", "question"): [*REGISTER, "#Bắt đầu"],
    ("assess", "summary"): [*REGISTER, "#Bắt đầu", *EVERY_ANSWER],
    ("assess", "evidence"): [*REGISTER, "#Bắt đầu", *EVERY_ANSWER, "#Thêm minh chứng", "#1."],
    ("privacy", "confirm_delete"): [*REGISTER, "/delete"],
}
BAD_INPUTS = ["", "   ", "x" * 4001, "😀😀😀", "\x00\x07\x1b", "???", "/frobnicate"]


async def state(chat: Chat) -> tuple[str, str, dict]:
    """Where the person is; the count of replies not understood there is no move."""
    async with chat.engine.sessions() as session:
        c = await session.scalar(select(Conversation))
    assert c is not None
    return c.flow, c.step, {k: v for k, v in c.data.items() if k != MISSES}


@pytest.mark.parametrize("step", list(STEPS), ids="/".join)
async def test_bad_input_at_every_step_gets_a_polite_reprompt(
    chat: Chat, step: tuple[str, str]
) -> None:
    await chat.run(STEPS[step])
    before = await state(chat)
    assert before[:2] == step
    for bad in BAD_INPUTS:
        if bad.startswith("/"):
            replies = await chat.command(bad[1:])
        else:
            replies = await chat.send(bad)
        assert replies, f"no reply to {bad[:10]!r} at {step}"
        assert await state(chat) == before, f"{bad[:10]!r} moved {step}"
    if step != ("assess", "evidence"):  # where a file is the expected answer
        assert await chat.file()
        assert await state(chat) == before


async def test_an_event_seen_twice_has_one_effect(chat: Chat) -> None:
    await chat.run(REGISTER[:2])
    event = chat.event(EventKind.TEXT, text="Nguyễn Văn Nam")
    first = await chat.engine.handle(event)
    second = await chat.engine.handle(event)
    assert first.replies and not first.duplicate
    assert second.duplicate and not second.replies
    assert (await state(chat))[1] == "birth_year"
    async with chat.engine.sessions() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.payload["text"].as_string().contains("sinh năm"))
        )
    assert n == 1


async def test_failure_before_commit_leaves_nothing_half_written(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(chat)
    await chat.press("Bắt đầu")
    event = chat.event(EventKind.TEXT, text="1")
    before = await state(chat)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    # After the step changed the state and the answer, before the commit.
    monkeypatch.setattr("storage.repositories.events.mark_processed", crash)
    with pytest.raises(RuntimeError):
        await chat.engine.handle(event)
    monkeypatch.undo()
    assert await state(chat) == before
    async with chat.engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Answer)) == 0
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.event_id == event.event_id)
            )
            == 0
        )
    outcome = await chat.engine.handle(event)  # processed again, fully this time
    assert not outcome.duplicate and "Đã ghi chỉ số 1" in outcome.replies[-1].text
    assert (await state(chat))[2]["i"] == 1  # on to the second question


async def test_a_bug_in_a_step_is_logged_once_and_the_person_gets_an_apology(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.run(REGISTER[:3])
    from handlers.flows import registration

    async def broken(ctx, event):
        ctx.profile.birth_year = 1111  # a write that must not survive
        raise ZeroDivisionError

    monkeypatch.setitem(registration.steps._handle, ("register", "birth_year"), broken)
    with caplog.at_level(logging.ERROR):
        replies = await chat.send("1970")
    assert "Xin lỗi, hệ thống vừa gặp lỗi" in replies[0].text
    assert "sinh năm nào" in replies[-1].text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "register/birth_year" in errors[0].getMessage()
    async with chat.engine.sessions() as session:
        assert await session.scalar(select(models.Profile.birth_year)) is None


async def test_resume_in_a_new_process_on_the_same_database(
    db_url: str, engine, content: Content, clock: Clock
) -> None:
    first = Engine(make_sessionmaker(engine), content, clock=clock)
    chat = Chat(first)
    await register(chat)
    await chat.press("Bắt đầu")
    indicators = content.criteria_for("residents", 2026).indicators
    for indicator in indicators[:3]:
        await chat.press(indicator.options[0].label.vi) if indicator.options else await chat.send(
            str(indicator.number_input.bands[-1].min)
        )
    await engine.dispose()

    # A new process: a new database engine and a new conversation engine on the same URL.
    db = create_engine(db_url)
    try:
        chat2 = Chat(Engine(make_sessionmaker(db), content, clock=clock))
        await chat2.command("menu")
        await chat2.press("Tiếp tục tự đánh giá")
        assert "Chỉ số 4/10" in chat2.text
        async with chat2.engine.sessions() as session:
            answers = list(await session.scalars(select(Answer)))
        assert sorted(a.indicator_id for a in answers) == [i.id for i in indicators[:3]]
    finally:
        await db.dispose()


async def test_delete_my_data_leaves_nothing_personal_in_any_table(
    chat: Chat, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    other = Chat(chat.engine, user="binh")
    await register(other, [*REGISTER[:2], "Đỗ Văn Bình", *REGISTER[3:-1], "Thôn Phú Sơn"])
    await register(chat)
    await chat.press("Bắt đầu")
    await chat.send("1")
    await chat.file("bang-khen.jpg")
    async with session_factory() as session:
        user_id = await session.scalar(
            select(models.ChannelIdentity.user_id).where(
                models.ChannelIdentity.external_user_id == "an"
            )
        )
    await chat.command("delete")
    await chat.press("Xóa hết")
    assert "Đã xóa toàn bộ dữ liệu" in chat.text
    # The farewell keeps its address only until it is delivered.
    async with session_factory() as session, session.begin():
        due = await outbox.claim(
            session,
            channel="console",
            limit=100,
            now=chat.engine.clock(),
            lease=timedelta(minutes=1),
        )
        farewell = [m for m in due if m.chat_id == "chat-an"]
        assert len(farewell) == 1 and farewell[0].user_id is None
        for message in due:
            await outbox.mark_sent(session, {message.id: None}, chat.engine.clock())

    needles = ["Nguyễn Thị Lan", "chat-an", "file-bang-khen.jpg", "Tổ 5"]
    async with session_factory() as session:
        for table in models.Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for row in rows:
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, String | Text | JSON) and value is not None:
                        assert not any(n in str(value) for n in needles), (table.name, row)
                    if column.foreign_keys and any(
                        fk.column.table.name == "users" for fk in column.foreign_keys
                    ):
                        assert value != user_id, (table.name, column.name)
                assert not (table.name == "channel_identities" and row["external_user_id"] == "an")
        erased = await session.scalar(
            select(func.count())
            .select_from(models.AuditEntry)
            .where(
                models.AuditEntry.action == "user.erased", models.AuditEntry.actor_user_id.is_(None)
            )
        )
        assert erased == 1
        # The other person is untouched.
        assert await session.scalar(select(models.Profile.full_name)) == "Đỗ Văn Bình"
    assert inspect(models.OutboxMessage).columns.user_id.nullable


async def test_a_batch_of_chats_commits_together_and_isolates_a_failing_one(
    bot_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = [Chat(bot_engine, user=f"u{n}") for n in range(5)]
    for c in chats:
        await c.run(REGISTER[:3])  # each now waits for a birth year
    from handlers.flows import registration

    original = registration.steps._handle[("register", "birth_year")]

    async def flaky(ctx, event):
        if ctx.identity.external_user_id == "u2":
            raise ValueError("bug")
        await original(ctx, event)

    monkeypatch.setitem(registration.steps._handle, ("register", "birth_year"), flaky)
    events = [c.event(EventKind.TEXT, text="1980") for c in chats]
    outcomes = await bot_engine.handle_batch(events)
    assert [o.event for o in outcomes] == events
    assert "Xin lỗi" in outcomes[2].replies[0].text
    for n in (0, 1, 3, 4):
        assert "nhóm đối tượng" in outcomes[n].replies[-1].text
    async with bot_engine.sessions() as session:
        years = list(await session.scalars(select(models.Profile.birth_year)))
    assert sorted(y for y in years if y) == [1980] * 4


async def test_a_batch_keeps_each_chats_events_in_order(bot_engine: Engine) -> None:
    a, b = Chat(bot_engine, user="a"), Chat(bot_engine, user="b")
    events = [
        a.event(EventKind.COMMAND, command="start"),
        b.event(EventKind.COMMAND, command="start"),
        a.event(EventKind.TEXT, text="đồng ý"),
        a.event(EventKind.TEXT, text="Lý Thị Mai"),
    ]
    outcomes = await bot_engine.handle_batch(events)
    assert "Họ và tên" in outcomes[2].replies[-1].text
    assert "sinh năm nào" in outcomes[3].replies[-1].text


async def test_two_processes_on_one_chat_apply_one_after_the_other(
    db_url: str, engine, content: Content, clock: Clock
) -> None:
    """Two names typed at the name question, handled at the same moment by two processes:
    the second must see the first's change (and be asked for a birth year), never both
    starting from the name question."""
    other_db = create_engine(db_url)
    try:
        first = Engine(make_sessionmaker(engine), content, clock=clock)
        second = Engine(make_sessionmaker(other_db), content, clock=clock)
        chats = [Chat(first, user=f"race{n}") for n in range(4)]
        for c in chats:
            await c.run(REGISTER[:2])
        for c in chats:
            a = c.event(EventKind.TEXT, text="Nguyễn Văn Một")
            b = c.event(EventKind.TEXT, text="Trần Thị Hai")
            one, two = await asyncio.gather(first.handle(a), second.handle(b))
            said = ["\n".join(r.text for r in o.replies) for o in (one, two)]
            # Exactly one found the name already given and was asked again for a year.
            assert sum("gõ năm sinh từ" in text for text in said) == 1, said
        async with first.sessions() as session:
            versions = list(await session.scalars(select(Conversation.version)))
        assert versions == [versions[0]] * 4  # the same number of saved changes everywhere
    finally:
        await other_db.dispose()
