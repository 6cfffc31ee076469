"""Erasing a person takes what they said and what was said about them: their apps' raw
updates, messages to them, about them or naming them; other people's rows stay."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import ChatWindow, InboxUpdate, OutboxMention, OutboxMessage, User
from storage.repositories import erasure, inbox, links, outbox
from tests.storage.factories import T0, Sessions, chat_of, create_person


async def test_forgetting_a_person_takes_their_updates_and_every_message_about_them(
    session_factory: Sessions,
) -> None:
    citizen = await create_person(session_factory)
    officer = await create_person(session_factory)
    other = await create_person(session_factory)
    mine, theirs = chat_of(citizen), chat_of(officer)
    async with session_factory() as session, session.begin():
        await inbox.store(
            session,
            [
                inbox.NewUpdate("telegram", "1", mine, 1, {"text": "Trần Văn Ba"}),
                inbox.NewUpdate("telegram", "2", mine, 2, {"text": "/delete"}),
                inbox.NewUpdate("telegram", "3", theirs, 3, {"text": "/pending"}),
            ],
            T0,
        )
        await inbox.mark_processed(session, [1], T0)
        session.add(ChatWindow(channel="telegram", chat_id=mine, last_inbound_at=T0, quote_id="q"))
        await links.issue(session, user_id=citizen, channel="telegram", now=T0, key=b"k")
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(citizen, "telegram", mine, "answer", {"text": "to them"}),
                outbox.NewMessage(None, "telegram", mine, "answer", {"text": "their chat"}),
                outbox.NewMessage(
                    officer, "telegram", theirs, "answer", {"text": "case"}, about_user_id=citizen
                ),
                outbox.NewMessage(
                    officer,
                    "telegram",
                    theirs,
                    "answer",
                    {"text": "list"},
                    mentions=(other, citizen),
                ),
                outbox.NewMessage(
                    officer, "telegram", theirs, "answer", {"text": "other list"}, mentions=(other,)
                ),
                outbox.NewMessage(officer, "telegram", theirs, "answer", {"text": "kept"}),
            ],
            T0,
        )

    async with session_factory() as session, session.begin():
        await erasure.forget(session, await session.get(User, citizen))

    async with session_factory() as session:
        texts = [p["text"] for p in await session.scalars(select(OutboxMessage.payload))]
        updates = list(await session.scalars(select(InboxUpdate.chat_key)))
        windows = await session.scalar(select(func.count()).select_from(ChatWindow))
        mentions = list(await session.scalars(select(OutboxMention.user_id)))
        assert await session.get(User, citizen) is None
        assert await links.identities(session, citizen) == []
    assert sorted(texts) == ["kept", "other list"]
    assert updates == [theirs]
    assert windows == 0
    assert mentions == [other]


async def test_lists_keep_their_place_among_a_chats_messages(session_factory: Sessions) -> None:
    person = await create_person(session_factory)
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(None, "telegram", "9", "answer", {"text": "1"}),
                outbox.NewMessage(
                    None, "telegram", "9", "answer", {"text": "2"}, mentions=(person,)
                ),
                outbox.NewMessage(None, "telegram", "9", "answer", {"text": "3"}),
            ],
            T0,
        )
    async with session_factory() as session:
        rows = await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        assert [r["text"] for r in rows] == ["1", "2", "3"]
