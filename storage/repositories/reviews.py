"""What an officer may see and decide: submissions within their scope."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from content import Routing, ScoreResult
from storage.models import Assessment, AssessmentStatus, Profile, Staff, StaffRole, Unit

# Waiting for a decision: submitted, or a decision taken back.
AWAITING = (AssessmentStatus.SUBMITTED, AssessmentStatus.REOPENED)
# Decided, so a decision that can be taken back (a returned one is with the citizen).
DECIDED = (AssessmentStatus.APPROVED, AssessmentStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one active role covers: everyone (a province admin), a whole commune (its
    officers, and a commune admin: an admin inside that commune), or a unit's citizens in
    the target groups that the unit's kind verifies (its officers), as submissions are
    routed (`staff.Roster.levels`)."""

    admin: bool = False
    commune_code: str | None = None
    unit_id: int | None = None
    groups: frozenset[str] = frozenset()

    @property
    def province(self) -> bool:
        return self.admin and self.commune_code is None


async def scopes(session: AsyncSession, user_id: int, routing: Routing) -> list[Scope]:
    """The person's active roles (none for a citizen)."""
    rows = await session.execute(
        select(Staff.role, Staff.commune_code, Staff.unit_id, Unit.kind)
        .outerjoin(Unit, Unit.id == Staff.unit_id)
        .where(Staff.user_id == user_id, Staff.revoked_at.is_(None))
    )
    return [
        # An admin's scope is the province or one commune, never a unit.
        Scope(admin=True, commune_code=commune)
        if role == StaffRole.ADMIN
        else Scope(
            commune_code=commune,
            unit_id=unit,
            groups=routing.groups_for(kind) if kind else frozenset(),
        )
        for role, commune, unit, kind in rows
    ]


def in_scope(roles: list[Scope]) -> ColumnElement[bool]:
    """The submissions one of these roles covers, as a condition on assessments joined to
    their profiles (`listing`). `covers` is the same rule for one submission in hand."""
    conditions: list[ColumnElement[bool]] = []
    for role in roles:
        if role.province:
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
    """The same rule as `in_scope`, for one submission in hand."""
    for role in roles:
        if role.province:
            return True
        if role.unit_id is not None:
            if role.unit_id == profile.unit_id and a.target_group in role.groups:
                return True
        elif role.commune_code == profile.commune_code:
            return True
    return False


def listing(
    roles: list[Scope], statuses: Collection[AssessmentStatus], *columns: Any
) -> Select[Any]:
    """`columns` of the submissions in these states within the scope: the one list that
    the chat's review screens and the console's queue read, each adding its own filters,
    order and page."""
    return (
        select(*columns)
        .select_from(Assessment)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.status.in_(list(statuses)), in_scope(roles))
    )


async def count_waiting(session: AsyncSession, roles: list[Scope]) -> int:
    """How many submissions wait for a decision in this scope."""
    found = await session.scalar(listing(roles, AWAITING, func.count()))
    return found or 0


@dataclass(frozen=True, slots=True)
class Listed:
    """A submission in an officer's list, with what the list is filtered by."""

    assessment_id: int
    user_id: int
    full_name: str | None
    birth_year: int | None
    commune_code: str | None
    unit_id: int | None
    entered_by: int | None  # the officer who entered a paper form


async def listed(
    session: AsyncSession,
    roles: list[Scope],
    statuses: tuple[AssessmentStatus, ...],
    *,
    decided_by: int | None = None,
) -> list[Listed]:
    """Submissions in these states in this scope (those `decided_by` someone, when given):
    waiting ones oldest first, others latest decided first. Narrow rows, so a whole
    scope's list can be filtered by name (without accents, which the database cannot do
    alike everywhere) and counted."""
    query = listing(
        roles,
        statuses,
        Assessment.id,
        Profile.user_id,
        Profile.full_name,
        Profile.birth_year,
        Profile.commune_code,
        Profile.unit_id,
        Assessment.entered_by,
    )
    if decided_by is not None:
        query = query.where(Assessment.decided_by == decided_by)
    if set(statuses) <= set(AWAITING):
        query = query.order_by(Assessment.submitted_at, Assessment.id)
    else:
        query = query.order_by(Assessment.decided_at.desc(), Assessment.id.desc())
    return [Listed(*row) for row in await session.execute(query)]


async def loaded(session: AsyncSession, ids: list[int]) -> list[tuple[Assessment, Profile]]:
    """These submissions with their answers and people, in the order of `ids`."""
    rows = await session.execute(
        select(Assessment, Profile)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.id.in_(ids))
        .options(selectinload(Assessment.answers))
    )
    found = {a.id: (a, p) for a, p in rows.all()}
    return [found[i] for i in ids if i in found]


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
    birth_year: int | None
    entered_by: int | None  # the officer who entered a paper form


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
            Profile.birth_year,
            Assessment.entered_by,
        )
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.status.in_(AWAITING), Assessment.submitted_at < before)
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
    by: int | None,
    note: str | None,
    now: datetime,
    reopened: list[str] | None = None,
    adjustments: dict[str, Any] | None = None,
    result: ScoreResult | None = None,
) -> bool:
    """Record a decision if the assessment still waits for one. False when someone decided
    first (or it was taken back): the first decision wins. An approval records the
    officer's adjustments and the `result` they give; `a` then reads as stored."""
    values = _decision(status, by, note, now) | {
        "reopened": reopened or [],
        "adjustments": adjustments or {},
    }
    if result is not None:
        values |= {"total": result.total, "threshold": result.threshold, "passed": result.passed}
    return await _change(session, a, AWAITING, values)


async def reopen(
    session: AsyncSession, a: Assessment, *, by: int | None, note: str, now: datetime
) -> bool:
    """Take back an approval or a rejection: the assessment waits for a decision again,
    `decided_*` saying who took it back, when and why. False when it is not (or no longer)
    decided."""
    values = _decision(AssessmentStatus.REOPENED, by, note, now)
    return await _change(session, a, DECIDED, values)


def _decision(
    status: AssessmentStatus, by: int | None, note: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "status": status,
        "decided_by": by,
        "decided_at": now,
        "decision_note": note,
        "updated_at": now,
    }


async def _change(
    session: AsyncSession,
    a: Assessment,
    expected: tuple[AssessmentStatus, ...],
    values: dict[str, Any],
) -> bool:
    """Write `values` if the assessment is still in one of the `expected` states (two
    people acting at once: the first wins); `a` then reads as stored."""
    done = await session.execute(
        update(Assessment)
        .where(Assessment.id == a.id, Assessment.status.in_(expected))
        .values(**values)
        # Not "evaluate": that would change `a` in memory even when the row did not match.
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(a, key, value)
    return True


@dataclass(frozen=True, slots=True)
class Record:
    """Another person's assessment, as the duplicate check sees it."""

    assessment_id: int
    user_id: int
    full_name: str | None
    status: str


async def alike(session: AsyncSession, a: Assessment, citizen: Profile) -> list[Record]:
    """Other people's assessments of the same year with the same commune and birth year,
    each with its holder's name: the candidates a name comparison picks duplicates from
    (names compare without accents, which the database cannot do alike everywhere)."""
    if citizen.birth_year is None or citizen.commune_code is None:
        return []
    rows = await session.execute(
        select(Assessment.id, Profile.user_id, Profile.full_name, Assessment.status)
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(
            Assessment.year == a.year,
            Assessment.user_id != citizen.user_id,
            Assessment.status != AssessmentStatus.DRAFT,
            Profile.commune_code == citizen.commune_code,
            Profile.birth_year == citizen.birth_year,
        )
        .order_by(Assessment.id)
    )
    return [Record(*row) for row in rows]
