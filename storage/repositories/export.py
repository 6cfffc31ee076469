"""Everything kept about one person, for their right to see their data (Law 91/2025)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    Assessment,
    Base,
    Certificate,
    ChannelIdentity,
    Profile,
    Recommendation,
    SkillCheck,
    Staff,
    User,
)

# Bookkeeping that says nothing about the person.
_SKIP = {"user_id", "code_hash"}


def _row(obj: Base) -> dict[str, Any]:
    out = {}
    for column in obj.__table__.columns:
        if column.key in _SKIP:
            continue
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


async def person(session: AsyncSession, user_id: int) -> dict[str, Any] | None:
    """The person's data as plain JSON-ready values; None if they are not (any more) here."""
    user = await session.get(User, user_id)
    if user is None:
        return None

    async def rows(model: type[Base], *order: Any) -> list[dict[str, Any]]:
        found = await session.scalars(
            select(model).where(model.user_id == user_id).order_by(*order)  # type: ignore[attr-defined]
        )
        return [_row(x) for x in found]

    profile = await session.get(Profile, user_id)
    assessments = await session.scalars(
        select(Assessment)
        .where(Assessment.user_id == user_id)
        .options(selectinload(Assessment.answers))
        .order_by(Assessment.year)
    )
    return {
        "user": _row(user),
        "profile": _row(profile) if profile is not None else None,
        # Said in so many words: whether we may send them reminders and campaigns.
        "receives_pushes": profile is not None and not profile.opted_out,
        "channels": await rows(ChannelIdentity, ChannelIdentity.id),
        "assessments": [{**_row(a), "answers": [_row(x) for x in a.answers]} for a in assessments],
        "certificates": await rows(Certificate, Certificate.id),
        "digital_skills_checks": await rows(SkillCheck, SkillCheck.id),
        "learning_suggestions": await rows(Recommendation, Recommendation.id),
        "roles": await rows(Staff, Staff.id),
    }
