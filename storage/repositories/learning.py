"""Learning suggestions: what a person was pointed to, and what they finished."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Recommendation


async def of(session: AsyncSession, user_id: int) -> list[Recommendation]:
    """Every suggestion the person ever had, oldest first."""
    return list(
        await session.scalars(
            select(Recommendation)
            .where(Recommendation.user_id == user_id)
            .order_by(Recommendation.id)
        )
    )


async def one(session: AsyncSession, user_id: int, recommendation_id: int) -> Recommendation | None:
    """The suggestion if it is this person's (a payload naming someone else's finds none)."""
    return await session.scalar(
        select(Recommendation).where(
            Recommendation.id == recommendation_id, Recommendation.user_id == user_id
        )
    )
