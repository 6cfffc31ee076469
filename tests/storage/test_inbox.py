from __future__ import annotations

import pytest
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


async def test_claimed_updates_are_skipped_by_other_claims_and_chats_stay_in_order(
    session_factory: Sessions,
) -> None:
    if session_factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer, which claims nothing")
    rows = [("a", 1), ("a", 2), ("b", 3), ("c", 4)]  # (chat, seq)
    async with session_factory() as session, session.begin():
        await inbox.store(
            session,
            [inbox.NewUpdate("telegram", str(seq), chat, seq, {}) for chat, seq in rows],
            T0,
        )
    async with session_factory() as first, first.begin():
        taken = await inbox.next_batch(first, ["telegram"], 2, claim=True)
        assert [(u.chat_key, u.seq) for u in taken] == [("a", 1), ("b", 3)]
        async with session_factory() as second, second.begin():
            # Neither the claimed heads nor what waits behind them in their chats.
            others = await inbox.next_batch(second, ["telegram"], 10, claim=True)
            assert [(u.chat_key, u.seq) for u in others] == [("c", 4)]
        await inbox.mark_processed(first, [u.id for u in taken], T0)
    async with session_factory() as session, session.begin():
        after = await inbox.next_batch(session, ["telegram"], 10, claim=True)
        assert [(u.chat_key, u.seq) for u in after] == [("a", 2), ("c", 4)]


async def test_a_chats_first_update_is_its_earliest_by_seq_and_dead_letters_wait_for_none(
    session_factory: Sessions,
) -> None:
    claim = session_factory.kw["bind"].dialect.name == "postgresql"
    # (chat, seq) in the order stored: concurrent webhooks may store a chat's later update
    # first; "b"'s first update becomes a dead letter.
    rows = [("a", 5), ("b", 1), ("a", 4), ("b", 2), ("c", 9)]
    async with session_factory() as session, session.begin():
        await inbox.store(
            session,
            [inbox.NewUpdate("telegram", str(seq), chat, seq, {}) for chat, seq in rows],
            T0,
        )
        stored = {u.seq: u.id for u in await session.scalars(select(InboxUpdate))}
        await inbox.mark_dead(session, {stored[1]: "unreadable"}, T0)
    async with session_factory() as session, session.begin():
        batch = await inbox.next_batch(session, ["telegram"], 10, claim=claim)
        # Each chat's earliest waiting update, in the order stored ("b"'s dead one skipped).
        assert [(u.chat_key, u.seq) for u in batch] == [("a", 4), ("b", 2), ("c", 9)]
