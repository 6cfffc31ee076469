"""Small builders shared by the storage tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import OutboxMessage, User
from storage.repositories import outbox

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


async def create_user(session_factory: Sessions) -> int:
    async with session_factory() as session, session.begin():
        user = User(created_at=T0)
        session.add(user)
        await session.flush()
        return user.id


async def enqueue(
    session_factory: Sessions,
    chats: Sequence[str],
    *,
    kind: str = "answer",
    channel: str = "telegram",
    user_id: int | None = None,
) -> list[int]:
    """One message to each chat listed, in that order, texted "<chat>:<position>"; returns
    their outbox ids."""
    async with session_factory() as session, session.begin():
        before = await session.scalar(select(func.max(OutboxMessage.id))) or 0
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(user_id, channel, chat, kind, {"text": f"{chat}:{n}"})
                for n, chat in enumerate(chats)
            ],
            T0,
        )
        ids = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
        )
        return list(ids)
