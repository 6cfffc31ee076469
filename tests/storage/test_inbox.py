from __future__ import annotations

from sqlalchemy import select

from storage.models import InboxUpdate
from storage.repositories import inbox
from tests.storage.factories import T0, Sessions


def update(update_id: int, chat: str = "7") -> inbox.NewUpdate:
    return inbox.NewUpdate("telegram", str(update_id), chat, update_id, {"update_id": update_id})


async def test_an_update_is_kept_once_and_only_its_first_delivery_is_new(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        first = await inbox.store(session, [update(1), update(2), update(2)], T0)
    async with session_factory() as session, session.begin():
        again = await inbox.store(session, [update(2), update(3, chat="8")], T0)

    assert first == {("telegram", "1"), ("telegram", "2")}
    assert again == {("telegram", "3")}
    async with session_factory() as session:
        kept = await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.chat_key, InboxUpdate.payload).order_by(
                InboxUpdate.seq
            )
        )
        assert [tuple(row) for row in kept] == [
            ("1", "7", {"update_id": 1}),
            ("2", "7", {"update_id": 2}),
            ("3", "8", {"update_id": 3}),
        ]
