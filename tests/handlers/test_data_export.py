"""The right to see one's data: a summary in the chat and the whole record as a file made
when it is sent; nothing once the person is erased."""

from __future__ import annotations

import json

from bot.documents import data_export
from tests.handlers.conftest import Chat, register
from tests.handlers.test_skills import take


async def made(chat: Chat, document: str) -> dict | None:
    maker, _, argument = document.partition(":")
    assert maker == "export"
    async with chat.engine.sessions() as session:
        found = await data_export.make(session, argument)
    return None if found is None else json.loads(found.content)


async def test_my_data_has_a_summary_and_the_whole_record(chat: Chat) -> None:
    await register(chat)
    await take(chat, [2] * 15)
    await chat.command("stop")

    await chat.command("mydata")

    reply = chat.replies[0]
    assert "Nhận thông báo và nhắc việc: không" in reply.text
    assert reply.attachment is not None
    data = await made(chat, reply.attachment.document)
    assert data is not None
    assert data["profile"]["full_name"] == "Nguyễn Thị Lan"
    assert data["profile"]["opted_out"] is True and data["receives_pushes"] is False
    assert data["digital_skills_checks"][0]["overall"] == "fair"
    assert data["channels"][0]["channel"] == "console"
    assert data["learning_suggestions"] == []  # Khá everywhere: nothing weak


async def test_the_file_is_not_made_once_the_person_is_erased(chat: Chat) -> None:
    await register(chat)
    await chat.command("mydata")
    document = chat.replies[0].attachment.document  # type: ignore[union-attr]
    await chat.command("delete")
    await chat.press("Xóa hết")

    assert await made(chat, document) is None


async def test_nothing_to_show_before_consent(chat: Chat) -> None:
    await chat.command("start")
    await chat.command("mydata")
    assert "chưa lưu thông tin cá nhân nào" in chat.text
    assert all(r.attachment is None for r in chat.replies)


async def test_an_export_is_audited_and_listed_under_the_persons_name(chat: Chat) -> None:
    from storage.repositories import audit

    await register(chat)
    await chat.command("mydata")
    async with chat.engine.sessions() as session:
        [shown] = await audit.entries(session, subject="user:1")
        by_them = await audit.entries(session, actor=str(shown.actor_user_id))
    assert (shown.action, shown.actor, shown.details) == (
        "data.exported",
        "Nguyễn Thị Lan",
        {"channel": "console"},
    )
    assert "data.exported" in [e.action for e in by_them]
