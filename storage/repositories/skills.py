"""Digital-skills checks: the one in progress and the finished ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SkillCheck


async def in_progress(session: AsyncSession, user_id: int) -> SkillCheck | None:
    return await session.scalar(
        select(SkillCheck)
        .where(SkillCheck.user_id == user_id, SkillCheck.finished_at.is_(None))
        .order_by(SkillCheck.id.desc())
        .limit(1)
    )


async def latest_finished(session: AsyncSession, user_id: int) -> SkillCheck | None:
    return await session.scalar(
        select(SkillCheck)
        .where(SkillCheck.user_id == user_id, SkillCheck.finished_at.is_not(None))
        .order_by(SkillCheck.finished_at.desc(), SkillCheck.id.desc())
        .limit(1)
    )
