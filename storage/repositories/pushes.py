"""Messages the bot sends unasked: who is due one, and claiming each (person, kind, key) once.

Every candidate query walks people in user-id order from a cursor, a batch at a time, so a
pass over a province keeps memory flat, and only people who are registered and accept pushes
are candidates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Assessment,
    AssessmentStatus,
    Profile,
    Push,
    Recommendation,
    SkillCheck,
)
from storage.upsert import dialect_insert

SENT = (
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.APPROVED,
    AssessmentStatus.REJECTED,
    AssessmentStatus.REOPENED,
)


def _accepts_pushes() -> ColumnElement[bool]:
    return Profile.registered_at.is_not(None) & Profile.opted_out.is_(False)


async def claim(
    session: AsyncSession, wanted: Sequence[tuple[int, str, str]], now: datetime
) -> set[tuple[int, str]]:
    """Record the (user id, kind, key) pushes not recorded yet; returns (user id, key) of
    those this call recorded: only these may be sent."""
    if not wanted:
        return set()
    rows = await session.execute(
        dialect_insert(session)(Push)
        .values([{"user_id": u, "kind": k, "key": key, "sent_at": now} for u, k, key in wanted])
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "key"])
        .returning(Push.user_id, Push.key)
    )
    return {(user_id, key) for user_id, key in rows}


async def recent_counts(
    session: AsyncSession, user_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    rows = await session.execute(
        select(Push.user_id, func.count())
        .where(Push.user_id.in_(user_ids), Push.sent_at >= since)
        .group_by(Push.user_id)
    )
    return {user_id: count for user_id, count in rows}


async def idle_drafts(
    session: AsyncSession, *, year: int, idle_since: datetime, after: int, limit: int
) -> list[tuple[int, datetime, int]]:
    """(user id, last change, reminders had this year) of people whose unsent assessment of
    ``year`` has not changed since ``idle_since``."""
    had = (
        select(func.count())
        .where(
            Push.user_id == Assessment.user_id,
            Push.kind == "reminder",
            Push.key.like(f"{year}-%"),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Assessment.user_id, Assessment.updated_at, had)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(
            Assessment.year == year,
            Assessment.status.in_((AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)),
            Assessment.updated_at <= idle_since,
            Assessment.user_id > after,
            _accepts_pushes(),
        )
        .order_by(Assessment.user_id)
        .limit(limit)
    )
    return [(user_id, at, count) for user_id, at, count in rows]


async def due_follow_ups(
    session: AsyncSession, *, now: datetime, after: int, limit: int
) -> list[Recommendation]:
    return list(
        await session.scalars(
            select(Recommendation)
            .join(Profile, Profile.user_id == Recommendation.user_id)
            .where(
                Recommendation.follow_up_at <= now,
                Recommendation.done_at.is_(None),
                Recommendation.id > after,
                _accepts_pushes(),
            )
            .order_by(Recommendation.id)
            .limit(limit)
        )
    )


async def postpone_follow_ups(
    session: AsyncSession, ids: Sequence[int], to: datetime | None
) -> None:
    """Asked (None), or put off (a later time) when the weekly cap was reached."""
    if ids:
        await session.execute(
            update(Recommendation).where(Recommendation.id.in_(ids)).values(follow_up_at=to)
        )


async def audience(
    session: AsyncSession, kind: str, *, year: int, after: int, limit: int
) -> list[int]:
    """User ids of a campaign audience (see content.campaigns.Audience)."""
    stmt = select(Profile.user_id).where(_accepts_pushes(), Profile.user_id > after)
    if kind == "not_submitted":
        stmt = stmt.where(
            ~exists().where(
                Assessment.user_id == Profile.user_id,
                Assessment.year == year,
                Assessment.status.in_(SENT),
            )
        )
    elif kind == "no_skills_check":
        stmt = stmt.where(
            ~exists().where(
                SkillCheck.user_id == Profile.user_id, SkillCheck.finished_at.is_not(None)
            )
        )
    elif kind != "registered":
        raise ValueError(f"unknown audience {kind!r}")
    return list(await session.scalars(stmt.order_by(Profile.user_id).limit(limit)))
