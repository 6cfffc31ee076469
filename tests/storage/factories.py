"""Small builders shared by the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import User

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


async def create_user(session_factory: Sessions) -> int:
    async with session_factory() as session, session.begin():
        user = User(created_at=T0)
        session.add(user)
        await session.flush()
        return user.id
