"""The annual report's figures: counts aggregated in SQL, long lists streamed in chunks, and
the units' population figures that the plan's ratios divide by."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Assessment,
    AssessmentStatus,
    Certificate,
    Profile,
    SkillCheck,
    Unit,
    UnitPopulation,
)

# Rows fetched at a time from the lists: the report's memory stays flat whatever their length.
CHUNK = 5000
# The state counted for an approval whose certificate was revoked: listed apart, and never
# among the recognised.
REVOKED = "revoked"
# An approval's certificate, if it has one (each approval issues one).
_certificate = Certificate.assessment_id == Assessment.id
_not_revoked = Certificate.revoked_at.is_(None)
# An assessment whose certificate was revoked. The few revoked are read once from their own
# index (ix_certificates_revoked), and each assessment looked up among them: joining every
# certificate to count that few cost more than the rest of the counts on PostgreSQL (4.0 s
# against 1.6 s at a million citizens), and without the index a unit's counts read every
# certificate of the province.
_revoked = Assessment.id.in_(
    select(Certificate.assessment_id).where(Certificate.revoked_at.is_not(None))
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose citizens a report covers: the province (neither set), a commune, or a unit."""

    commune_code: str | None = None
    unit_id: int | None = None

    def covers(self) -> ColumnElement[bool]:
        if self.unit_id is not None:
            return Profile.unit_id == self.unit_id
        if self.commune_code is not None:
            return Profile.commune_code == self.commune_code
        return true()


@dataclass(frozen=True, slots=True)
class Count:
    """How many citizens of one place and target group are in one state; ``status`` None
    counts registrations, REVOKED the approvals whose certificate was revoked."""

    commune_code: str | None
    unit_id: int | None
    group: str | None
    status: str | None
    n: int
    source: str | None = None  # of an assessment: chat, paper or assisted


async def counts(
    session: AsyncSession, year: int, scope: Scope, registered_before: datetime
) -> list[Count]:
    """Registrations (up to ``registered_before``) and the year's assessments by state, per
    commune, unit and target group: two grouped queries, each one pass over its table."""
    state = case(
        (and_(Assessment.status == AssessmentStatus.APPROVED, _revoked), literal(REVOKED)),
        else_=Assessment.status,
    )
    registered = await session.execute(
        select(Profile.commune_code, Profile.unit_id, Profile.target_group, func.count())
        .where(
            Profile.registered_at.is_not(None),
            Profile.registered_at < registered_before,
            scope.covers(),
        )
        .group_by(Profile.commune_code, Profile.unit_id, Profile.target_group)
    )
    assessed = await session.execute(
        select(
            Profile.commune_code,
            Profile.unit_id,
            Assessment.target_group,
            state,
            func.count(),
            Assessment.source,
        )
        .join(Profile, Profile.user_id == Assessment.user_id)
        .where(Assessment.year == year, scope.covers())
        .group_by(
            Profile.commune_code, Profile.unit_id, Assessment.target_group, state, Assessment.source
        )
    )
    return [Count(c, u, g, None, n) for c, u, g, n in registered] + [
        Count(c, u, g, s, n, source) for c, u, g, s, n, source in assessed
    ]


@dataclass(frozen=True, slots=True)
class SkillCount:
    """Of one place's citizens recognised in a target group, how many have digital skills and
    how many are proficient, by their latest check."""

    commune_code: str | None
    unit_id: int | None
    group: str
    skilled: int
    proficient: int


async def skills(
    session: AsyncSession,
    year: int,
    scope: Scope,
    checked_before: datetime,
    skilled: Collection[str],
    proficient: Collection[str],
) -> list[SkillCount]:
    """The year's recognised citizens (approved, certificate not revoked) per commune, unit
    and target group, counted by the overall level of their latest check finished before
    ``checked_before``: ``skilled`` and ``proficient`` are the level ids that count for each
    figure. One grouped query; a check is the latest when no finished check of the same
    person is later (or as late, and entered after it). Both databases answer that "no
    later check" as an anti-join (PostgreSQL hashes it, SQLite probes the user's checks in
    their index); at a million citizens it took 2.2 s on PostgreSQL and 1.1 s on SQLite,
    where ranking every check by a window over the table took 4.8 s and 1.8 s (and a
    correlated "latest check" subquery per citizen three times as long on PostgreSQL)."""
    later = aliased(SkillCheck)
    latest = ~exists().where(
        later.user_id == SkillCheck.user_id,
        later.finished_at < checked_before,
        or_(
            later.finished_at > SkillCheck.finished_at,
            and_(later.finished_at == SkillCheck.finished_at, later.id > SkillCheck.id),
        ),
    )
    rows = await session.execute(
        select(
            Profile.commune_code,
            Profile.unit_id,
            Assessment.target_group,
            func.count().filter(SkillCheck.overall.in_(skilled)),
            func.count().filter(SkillCheck.overall.in_(proficient)),
        )
        .join(Profile, Profile.user_id == Assessment.user_id)
        .join(SkillCheck, SkillCheck.user_id == Assessment.user_id)
        .outerjoin(Certificate, _certificate)
        .where(
            Assessment.year == year,
            Assessment.status == AssessmentStatus.APPROVED,
            _not_revoked,
            scope.covers(),
            SkillCheck.finished_at < checked_before,
            latest,
        )
        .group_by(Profile.commune_code, Profile.unit_id, Assessment.target_group)
    )
    return [SkillCount(*row) for row in rows]


async def units(session: AsyncSession, scope: Scope) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.commune_code, Unit.name)
    if scope.unit_id is not None:
        stmt = stmt.where(Unit.id == scope.unit_id)
    elif scope.commune_code is not None:
        stmt = stmt.where(Unit.commune_code == scope.commune_code)
    return list(await session.scalars(stmt))


async def populations(session: AsyncSession, year: int) -> dict[str, UnitPopulation]:
    """The year's figures by unit code (a commune's code or `<commune>-<id>`)."""
    rows = await session.scalars(select(UnitPopulation).where(UnitPopulation.year == year))
    return {p.unit_code: p for p in rows}


async def set_population(
    session: AsyncSession,
    unit_code: str,
    year: int,
    now: datetime,
    **figures: int | None,
) -> None:
    """Create or update a unit's figures for a year; only the figures given change."""
    row = await session.get(UnitPopulation, (unit_code, year))
    if row is None:
        row = UnitPopulation(unit_code=unit_code, year=year)
        session.add(row)
    for name, value in figures.items():
        setattr(row, name, value)
    row.updated_at = now


def _place() -> Any:
    """A citizen's village or unit: the one chosen from the list, or the one typed."""
    return func.coalesce(Unit.name, Profile.subunit_name, "")


def _listed(
    year: int, statuses: tuple[AssessmentStatus, ...], scope: Scope, at: Any, *extra: Any
) -> Select[Any]:
    """One row per citizen: name, birth year, group, commune, unit (chosen or typed), the
    ``extra`` columns, total and a date; by commune, then village or unit, then that date."""
    place = _place()
    return (
        select(
            Profile.full_name,
            Profile.birth_year,
            Assessment.target_group,
            Profile.commune_code,
            place,
            *extra,
            Assessment.total,
            at,
        )
        .join(Profile, Profile.user_id == Assessment.user_id)
        .outerjoin(Unit, Unit.id == Profile.unit_id)
        .where(Assessment.year == year, Assessment.status.in_(statuses), scope.covers())
        .order_by(Profile.commune_code, place, at, Assessment.id)
        .execution_options(yield_per=CHUNK)
    )


async def _stream(session: AsyncSession, stmt: Select[Any]) -> AsyncIterator[Sequence[Row[Any]]]:
    # A server-side cursor on PostgreSQL, fetchmany on SQLite: never the whole list at once.
    # Through the Core connection: plain rows, without the ORM's loading layer.
    connection = await session.connection()
    result = await connection.stream(stmt)
    async for chunk in result.partitions():
        yield chunk


def recognised(session: AsyncSession, year: int, scope: Scope) -> AsyncIterator[Sequence[Row]]:
    """The year's approved citizens whose certificate stands, with its number, dated by the
    decision."""
    stmt = _listed(
        year, (AssessmentStatus.APPROVED,), scope, Assessment.decided_at, Certificate.number
    )
    return _stream(session, stmt.outerjoin(Certificate, _certificate).where(_not_revoked))


def waiting(session: AsyncSession, year: int, scope: Scope) -> AsyncIterator[Sequence[Row]]:
    """The year's submissions still waiting for a decision (reopened ones too), dated by
    the submission."""
    waiting = (AssessmentStatus.SUBMITTED, AssessmentStatus.REOPENED)
    return _stream(session, _listed(year, waiting, scope, Assessment.submitted_at))


def revoked(session: AsyncSession, year: int, scope: Scope) -> AsyncIterator[Sequence[Row]]:
    """The year's revoked certificates of assessments still approved (a decision taken back
    revokes its certificate too, and counts as what the assessment became): name, birth year
    and group as the certificate showed them, commune, village or unit, number, when and
    why; by commune, then date."""
    return _stream(
        session,
        select(
            Certificate.full_name,
            Certificate.birth_year,
            Certificate.target_group,
            Profile.commune_code,
            _place(),
            Certificate.number,
            Certificate.revoked_at,
            Certificate.revoke_reason,
        )
        .join(Profile, Profile.user_id == Certificate.user_id)
        .join(Assessment, _certificate)
        .outerjoin(Unit, Unit.id == Profile.unit_id)
        .where(
            Certificate.year == year,
            Certificate.revoked_at.is_not(None),
            Assessment.status == AssessmentStatus.APPROVED,
            scope.covers(),
        )
        .order_by(Profile.commune_code, Certificate.revoked_at, Certificate.id)
        .execution_options(yield_per=CHUNK),
    )
