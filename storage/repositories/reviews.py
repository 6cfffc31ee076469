"""What an officer may see and decide: submissions within their scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from content import Routing, ScoreResult
from storage.models import Assessment, AssessmentStatus, Profile, Staff, StaffRole, Unit


@dataclass(frozen=True, slots=True)
class Scope:
    """What one active role covers: everyone (an admin), a whole commune (its officers), or
    a unit's citizens in the target groups that the unit's kind verifies (its officers), as
    submissions are routed (`staff.Roster.levels`)."""

    admin: bool = False
    commune_code: str | None = None
    unit_id: int | None = None
    groups: frozenset[str] = frozenset()


async def scopes(session: AsyncSession, user_id: int, routing: Routing) -> list[Scope]:
    """The person's active roles (none for a citizen)."""
    rows = await session.execute(
        select(Staff.role, Staff.commune_code, Staff.unit_id, Unit.kind)
        .outerjoin(Unit, Unit.id == Staff.unit_id)
        .where(Staff.user_id == user_id, Staff.revoked_at.is_(None))
    )
    return [
        Scope(
            admin=role == StaffRole.ADMIN,
            commune_code=commune,
            unit_id=unit,
            groups=routing.groups_for(kind) if kind else frozenset(),
        )
        for role, commune, unit, kind in rows
    ]


def _in_scope(roles: list[Scope]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for role in roles:
        if role.admin:
            return true()
        if role.unit_id is not None:
            conditions.append(
                and_(
                    Profile.unit_id == role.unit_id,
                    Assessment.target_group.in_(sorted(role.groups)),
                )
            )
        elif role.commune_code is not None:
            conditions.append(Profile.commune_code == role.commune_code)
    return or_(*conditions) if conditions else false()


def covers(roles: list[Scope], a: Assessment, profile: Profile) -> bool:
    """The same rule as `_in_scope`, for one submission in hand."""
    for role in roles:
        if role.admin:
            return True
        if role.unit_id is not None:
            if role.unit_id == profile.unit_id and a.target_group in role.groups:
                return True
        elif role.commune_code == profile.commune_code:
            return True
    return False


async def pending(
    session: AsyncSession, roles: list[Scope], *, limit: int, offset: int = 0
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


@dataclass(frozen=True, slots=True)
class Waiting:
    """A submission still waiting for a decision, with what routes it."""

    assessment_id: int
    submitted_at: datetime
    target_group: str
    full_name: str
    commune_code: str | None
    unit_id: int | None
    user_id: int


async def waiting_since(session: AsyncSession, before: datetime) -> list[Waiting]:
    """Submissions waiting for a decision since before `before`, oldest first."""
    rows = await session.execute(
        select(
            Assessment.id,
            Assessment.submitted_at,
            Assessment.target_group,
            Profile.full_name,
            Profile.commune_code,
            Profile.unit_id,
            Profile.user_id,
        )
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.status == AssessmentStatus.SUBMITTED, Assessment.submitted_at < before)
        .order_by(Assessment.submitted_at, Assessment.id)
    )
    return [Waiting(*row) for row in rows]


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
    a: Assessment,
    *,
    status: AssessmentStatus,
    by: int,
    note: str | None,
    now: datetime,
    reopened: list[str] | None = None,
    adjustments: dict[str, Any] | None = None,
    result: ScoreResult | None = None,
) -> bool:
    """Record a decision if the assessment still waits for one. False when someone decided
    first (or it was taken back): the first decision wins. An approval records the
    officer's adjustments and the `result` they give; `a` then reads as stored."""
    values: dict[str, Any] = {
        "status": status,
        "decided_by": by,
        "decided_at": now,
        "decision_note": note,
        "reopened": reopened or [],
        "adjustments": adjustments or {},
        "updated_at": now,
    }
    if result is not None:
        values |= {"total": result.total, "threshold": result.threshold, "passed": result.passed}
    done = await session.execute(
        update(Assessment)
        .where(Assessment.id == a.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .values(**values)
        # Not "evaluate": that would change `a` in memory even when the row did not match.
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(a, key, value)
    return True
