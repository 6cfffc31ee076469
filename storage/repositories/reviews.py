"""What an officer may see and decide: submissions within their scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Assessment, AssessmentStatus, Profile, Staff, StaffRole


async def scopes(session: AsyncSession, user_id: int) -> list[Staff]:
    """The person's active roles (none for a citizen)."""
    return list(
        await session.scalars(
            select(Staff).where(Staff.user_id == user_id, Staff.revoked_at.is_(None))
        )
    )


def _in_scope(roles: list[Staff]) -> ColumnElement[bool]:
    """Citizens covered: everyone for an admin; a unit's for its officers; a whole commune's
    for the commune's officers."""
    conditions: list[ColumnElement[bool]] = []
    for role in roles:
        if role.role == StaffRole.ADMIN:
            return true()
        if role.unit_id is not None:
            conditions.append(Profile.unit_id == role.unit_id)
        elif role.commune_code is not None:
            conditions.append(Profile.commune_code == role.commune_code)
    return or_(*conditions) if conditions else false()


def covers(roles: list[Staff], profile: Profile) -> bool:
    for role in roles:
        if role.role == StaffRole.ADMIN:
            return True
        if role.unit_id is not None and role.unit_id == profile.unit_id:
            return True
        if role.unit_id is None and role.commune_code == profile.commune_code:
            return True
    return False


async def pending(
    session: AsyncSession, roles: list[Staff], *, limit: int, offset: int = 0
) -> list[tuple[Assessment, Profile]]:
    """Submissions waiting in this scope, oldest first."""
    rows = await session.execute(
        select(Assessment, Profile)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.status == AssessmentStatus.SUBMITTED, _in_scope(roles))
        .order_by(Assessment.submitted_at, Assessment.id)
        .limit(limit)
        .offset(offset)
    )
    return [(a, p) for a, p in rows.all()]


async def load(session: AsyncSession, assessment_id: int) -> tuple[Assessment, Profile] | None:
    row = (
        await session.execute(
            select(Assessment, Profile)
            .join(Profile, Profile.user_id == Assessment.user_id)
            .where(Assessment.id == assessment_id)
            .options(selectinload(Assessment.answers))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def decide(
    session: AsyncSession,
    assessment_id: int,
    *,
    status: AssessmentStatus,
    by: int,
    note: str | None,
    now: datetime,
    reopened: list[str] | None = None,
) -> bool:
    """Record a decision if the assessment still waits for one. False when someone decided
    first (or it was taken back): the first decision wins."""
    done = await session.execute(
        update(Assessment)
        .where(Assessment.id == assessment_id, Assessment.status == AssessmentStatus.SUBMITTED)
        .values(
            status=status,
            decided_by=by,
            decided_at=now,
            decision_note=note,
            reopened=reopened or [],
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1
