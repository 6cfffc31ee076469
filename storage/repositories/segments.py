"""Who a broadcast reaches: a segment of the people who have consented (have a profile),
narrowed by place, target group, this year's assessment status, digital-skills level,
language and recent activity. Each option lists values that any may match; options combine
with AND. Also: what an officer may reach (their commune or unit, never beyond).

Read in batches by user id (keyset), so a segment of any size costs the same memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Assessment,
    ChannelIdentity,
    Conversation,
    Profile,
    SkillCheck,
    Staff,
    StaffRole,
    Unit,
    User,
)

# `statuses`: no assessment at all in the segment's year.
NOT_STARTED = "none"
# `skills`: never finished a digital-skills check.
UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class Segment:
    # Places: people of these communes or of these units (ids); neither means everyone.
    communes: tuple[str, ...] = ()
    units: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()
    # This year's assessment status (`storage.models.AssessmentStatus`) or NOT_STARTED.
    statuses: tuple[str, ...] = ()
    year: int | None = None  # the year `statuses` speaks of
    # Overall level of the latest finished skills check, or UNCHECKED.
    skills: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    # Their conversation last moved on or after this time.
    active_since: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if value not in ((), None)}
        data = {
            key: list(value) if isinstance(value, tuple) else value for key, value in data.items()
        }
        if self.active_since is not None:
            data["active_since"] = self.active_since.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        since = data.get("active_since")
        return cls(
            communes=tuple(data.get("communes", ())),
            units=tuple(int(u) for u in data.get("units", ())),
            groups=tuple(data.get("groups", ())),
            statuses=tuple(data.get("statuses", ())),
            year=data.get("year"),
            skills=tuple(data.get("skills", ())),
            locales=tuple(data.get("locales", ())),
            active_since=datetime.fromisoformat(since) if since else None,
        )

    @property
    def everywhere(self) -> bool:
        return not self.communes and not self.units

    def condition(self) -> ColumnElement[bool]:
        """Over Profile joined with User."""
        parts: list[ColumnElement[bool]] = []
        if not self.everywhere:
            parts.append(
                or_(Profile.commune_code.in_(self.communes), Profile.unit_id.in_(self.units))
            )
        if self.groups:
            parts.append(Profile.target_group.in_(self.groups))
        if self.statuses:
            parts.append(self._status_condition())
        if self.skills:
            parts.append(self._skills_condition())
        if self.locales:
            parts.append(User.locale.in_(self.locales))
        if self.active_since is not None:
            parts.append(
                exists().where(
                    Conversation.user_id == Profile.user_id,
                    Conversation.updated_at >= self.active_since,
                )
            )
        return and_(true(), *parts)

    def _status_condition(self) -> ColumnElement[bool]:
        this_year = Assessment.user_id == Profile.user_id, Assessment.year == self.year
        wanted = [s for s in self.statuses if s != NOT_STARTED]
        either = []
        if wanted:
            either.append(exists().where(*this_year, Assessment.status.in_(wanted)))
        if NOT_STARTED in self.statuses:
            either.append(~exists().where(*this_year))
        return or_(*either)

    def _skills_condition(self) -> ColumnElement[bool]:
        latest = (
            select(SkillCheck.overall)
            .where(SkillCheck.user_id == Profile.user_id, SkillCheck.finished_at.is_not(None))
            .order_by(SkillCheck.finished_at.desc(), SkillCheck.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        levels = [level for level in self.skills if level != UNCHECKED]
        either = [latest.in_(levels)] if levels else []
        if UNCHECKED in self.skills:
            either.append(latest.is_(None))
        return or_(*either)


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    locale: str
    opted_out: bool


async def people(
    session: AsyncSession, segment: Segment, *, after: int, limit: int
) -> list[Person]:
    """The next ``limit`` people of the segment by user id, after ``after``.

    On PostgreSQL their profiles stay share-locked until the transaction ends, so a
    concurrent opt-out either comes first (and is seen here) or waits for this transaction
    and then cancels what it queued."""
    rows = await session.execute(
        select(Profile.user_id, User.locale, Profile.opted_out)
        .join(User, User.id == Profile.user_id)
        .where(Profile.user_id > after, segment.condition())
        .order_by(Profile.user_id)
        .limit(limit)
        .with_for_update(read=True, of=Profile)
    )
    return [Person(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class Audience:
    """A segment's size now, and who in it will not be written to."""

    total: int
    opted_out: int
    unreachable: int

    @property
    def reachable(self) -> int:
        return self.total - self.opted_out - self.unreachable


def _reachable(user_id: Any) -> ColumnElement[bool]:
    return exists().where(
        ChannelIdentity.user_id == user_id, ChannelIdentity.unreachable_at.is_(None)
    )


async def audience(session: AsyncSession, segment: Segment) -> Audience:
    """Counted in one pass, in the database."""
    opted = Profile.opted_out.is_(True)
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((opted, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((~opted & ~_reachable(Profile.user_id), 1), else_=0)), 0
                ),
            )
            .select_from(Profile)
            .join(User, User.id == Profile.user_id)
            .where(segment.condition())
        )
    ).one()
    return Audience(*(int(n) for n in row))


async def addresses(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, tuple[str, str, bool]]:
    """Where to write to each person, once however many apps they linked: (channel, chat id,
    reachable) of the identity they used last among those that may be written to, or else
    of the one they used last."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(
            ChannelIdentity.user_id,
            ChannelIdentity.channel,
            ChannelIdentity.chat_id,
            ChannelIdentity.unreachable_at.is_(None),
        )
        .where(ChannelIdentity.user_id.in_(user_ids))
        .order_by(
            ChannelIdentity.unreachable_at.is_(None),
            ChannelIdentity.last_seen_at,
            ChannelIdentity.id,
        )
    )
    return {user_id: (channel, chat, bool(ok)) for user_id, channel, chat, ok in rows}


# -- scope ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reach:
    """Whom one person may write to: everyone (the province's admin), or the people of these
    communes and units (an officer's roles, a commune's admin). A commune's officer reaches
    its units' people too. `admin`: they manage broadcasts within reach, not only their own."""

    everyone: bool = False
    communes: frozenset[str] = frozenset()
    units: dict[int, str] = field(default_factory=dict)  # unit id -> its commune
    admin: bool = False

    @property
    def anyone(self) -> bool:
        return self.everyone or bool(self.communes or self.units)

    def allows(self, segment: Segment, unit_communes: dict[int, str]) -> bool:
        """Whether everyone the segment can match is within reach; ``unit_communes`` names
        the commune of each unit in the segment."""
        if self.everyone:
            return True
        if segment.everywhere:
            return False
        return all(c in self.communes for c in segment.communes) and all(
            u in self.units or unit_communes.get(u) in self.communes for u in segment.units
        )


async def reach(session: AsyncSession, user_id: int) -> Reach:
    """From the person's active roles; nobody for a citizen."""
    rows = await session.execute(
        select(Staff.role, Staff.commune_code, Staff.unit_id, Unit.commune_code)
        .outerjoin(Unit, Unit.id == Staff.unit_id)
        .where(Staff.user_id == user_id, Staff.revoked_at.is_(None))
    )
    communes: set[str] = set()
    units: dict[int, str] = {}
    admin = False
    for role, commune, unit_id, unit_commune in rows:
        if role == StaffRole.ADMIN and commune is None:
            return Reach(everyone=True, admin=True)
        if role == StaffRole.ADMIN:  # a commune's admin reaches the whole commune
            communes.add(commune)
            admin = True
        elif unit_id is not None:
            units[unit_id] = unit_commune
        elif commune is not None:
            communes.add(commune)
    return Reach(communes=frozenset(communes), units=units, admin=admin)


async def unit_communes(session: AsyncSession, unit_ids: Sequence[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    rows = await session.execute(select(Unit.id, Unit.commune_code).where(Unit.id.in_(unit_ids)))
    return {unit_id: commune for unit_id, commune in rows}


async def allowed(session: AsyncSession, who: Reach, segment: Segment) -> bool:
    return who.allows(segment, await unit_communes(session, segment.units))
