"""The association's side: units under communes, one-time invites, and staff roles."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Profile, Staff, StaffRole, Unit
from storage.repositories.certificates import clean_code, new_code

INVITE_LIFETIME = timedelta(days=7)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def add_unit(
    session: AsyncSession, *, commune_code: str, name: str, kind: str, now: datetime
) -> Unit:
    unit = Unit(commune_code=commune_code, name=name, kind=kind, created_at=now)
    session.add(unit)
    await session.flush()
    return unit


async def units(
    session: AsyncSession, commune_code: str | None = None, kinds: Collection[str] | None = None
) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.commune_code, Unit.name)
    if commune_code is not None:
        stmt = stmt.where(Unit.commune_code == commune_code)
    if kinds is not None:
        stmt = stmt.where(Unit.kind.in_(sorted(kinds)))
    return list(await session.scalars(stmt))


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    """A unit by its code, `<commune code>-<id>`."""
    commune, _, unit_id = code.partition("-")
    if not unit_id.isdigit():
        return None
    unit = await session.get(Unit, int(unit_id))
    return unit if unit is not None and unit.commune_code == commune else None


async def invite(
    session: AsyncSession,
    *,
    role: StaffRole,
    commune_code: str | None,
    unit_id: int | None,
    now: datetime,
) -> str:
    """A new one-time code (fits a Telegram start link; no look-alike characters, as it may
    be read out or copied by hand); only its hash is stored."""
    code = new_code()
    session.add(
        Invite(
            code_hash=_hash(code),
            role=role,
            commune_code=commune_code,
            unit_id=unit_id,
            created_at=now,
            expires_at=now + INVITE_LIFETIME,
        )
    )
    return code


async def open_invites(session: AsyncSession, now: datetime) -> list[Invite]:
    """Invites not yet used, expired or cancelled, oldest first."""
    return list(
        await session.scalars(
            select(Invite)
            .where(Invite.used_at.is_(None), Invite.expires_at > now)
            .order_by(Invite.id)
        )
    )


async def cancel_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """End an open invite at once (it expires now); False when it is not open."""
    done = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
    )
    return done.rowcount == 1


async def redeem(session: AsyncSession, code: str, user_id: int, now: datetime) -> Staff | None:
    """Give `user_id` the role the code stands for, once; None for an unknown, used or
    expired code. The conditional UPDATE makes two people sending one code at once safe."""
    # As typed ("abcd-efgh jklm"), or exactly as given: older codes mix upper and lower case.
    hashes = [_hash(clean_code(code)), _hash(code)]
    claimed = await session.execute(
        update(Invite)
        .where(Invite.code_hash.in_(hashes), Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=user_id)
        .returning(Invite.role, Invite.commune_code, Invite.unit_id)
    )
    row = claimed.first()
    if row is None:
        return None
    staff = Staff(
        user_id=user_id,
        role=row.role,
        commune_code=row.commune_code,
        unit_id=row.unit_id,
        granted_at=now,
    )
    session.add(staff)
    await session.flush()
    return staff


async def roles(session: AsyncSession, *, include_revoked: bool = False) -> list[Staff]:
    stmt = select(Staff).order_by(Staff.id)
    if not include_revoked:
        stmt = stmt.where(Staff.revoked_at.is_(None))
    return list(await session.scalars(stmt))


async def named_roles(
    session: AsyncSession, *, include_revoked: bool = False
) -> list[tuple[Staff, str | None]]:
    """Roles in the order granted, each with its holder's name (None until they register
    as a citizen)."""
    stmt = (
        select(Staff, Profile.full_name)
        .outerjoin(Profile, Profile.user_id == Staff.user_id)
        .order_by(Staff.id)
    )
    if not include_revoked:
        stmt = stmt.where(Staff.revoked_at.is_(None))
    return [(role, name) for role, name in await session.execute(stmt)]


async def revoke(session: AsyncSession, staff_id: int, now: datetime) -> bool:
    done = await session.execute(
        update(Staff).where(Staff.id == staff_id, Staff.revoked_at.is_(None)).values(revoked_at=now)
    )
    return done.rowcount == 1


async def allow_sole(session: AsyncSession, staff_id: int, allowed: bool, now: datetime) -> bool:
    """Set or clear an active officer role's allowance to decide the forms its holder
    entered; False when there is no such role."""
    done = await session.execute(
        update(Staff)
        .where(Staff.id == staff_id, Staff.revoked_at.is_(None), Staff.role == StaffRole.OFFICER)
        .values(sole_allowed_at=now if allowed else None)
    )
    return done.rowcount == 1


async def officers_alike(
    session: AsyncSession, commune_code: str | None, unit_id: int | None
) -> int:
    """How many active officers share this scope (a unit's, or a commune's own)."""
    unit = Staff.unit_id == unit_id if unit_id is not None else Staff.unit_id.is_(None)
    found = await session.scalar(
        select(func.count()).where(
            Staff.role == StaffRole.OFFICER,
            Staff.revoked_at.is_(None),
            Staff.commune_code == commune_code,
            unit,
        )
    )
    return found or 0


async def sole_places(session: AsyncSession, user_id: int | None) -> set[tuple[str, int | None]]:
    """The scopes (commune, unit or None) where this person is an allowed officer and still
    the only one."""
    rows = await session.execute(
        select(Staff.commune_code, Staff.unit_id).where(
            Staff.user_id == user_id,
            Staff.role == StaffRole.OFFICER,
            Staff.revoked_at.is_(None),
            Staff.sole_allowed_at.is_not(None),
        )
    )
    return {
        (commune_code or "", unit_id)
        for commune_code, unit_id in rows.all()
        if await officers_alike(session, commune_code, unit_id) == 1
    }


def in_places(
    places: set[tuple[str, int | None]], commune_code: str | None, unit_id: int | None
) -> bool:
    """Whether a citizen of this commune and unit is in one of these scopes."""
    return (commune_code or "", None) in places or (
        unit_id is not None and any(unit == unit_id for _, unit in places)
    )


async def sole_allowed(session: AsyncSession, user_id: int, citizen: Profile) -> bool:
    """Whether this person is an allowed and still the only officer of the citizen's unit
    or commune."""
    return in_places(await sole_places(session, user_id), citizen.commune_code, citizen.unit_id)


@dataclass(frozen=True, slots=True)
class Roster:
    """Active officers and admins by scope: who verifies whom."""

    units: Mapping[int, tuple[str, list[int]]]  # unit id -> (its kind, its officers)
    communes: Mapping[str, list[int]]  # commune code -> its own officers and admins
    admins: list[int]  # the province's

    @property
    def everyone(self) -> set[int]:
        """Every user id on the roster, at any level."""
        found = {u for _, officers in self.units.values() for u in officers}
        return found | {u for us in self.communes.values() for u in us} | set(self.admins)

    def levels(
        self, commune_code: str | None, unit_id: int | None, kinds: Collection[str]
    ) -> list[list[int]]:
        """Who verifies a citizen of this commune and unit, nearest first, empty scopes left
        out: the unit's officers if the unit is of a kind that verifies the citizen's group
        (`kinds`), the commune's officers and admins, the province's admins. The first level
        is responsible; the next is where a long wait escalates to."""
        kind, unit_officers = self.units.get(unit_id, ("", [])) if unit_id else ("", [])
        found = [
            unit_officers if kind in kinds else [],
            self.communes.get(commune_code or "", []),
            self.admins,
        ]
        return [level for level in found if level]


async def roster(
    session: AsyncSession, *, commune_code: str | None = None, unit_id: int | None = None
) -> Roster:
    """Every active role; or, given a commune (and unit), only those that could verify its
    citizens. Each person once per scope, in the order they joined."""
    stmt = (
        select(Staff.user_id, Staff.role, Staff.commune_code, Staff.unit_id, Unit.kind)
        .outerjoin(Unit, Unit.id == Staff.unit_id)
        .where(Staff.revoked_at.is_(None))
        .order_by(Staff.id)
    )
    if commune_code is not None:
        stmt = stmt.where(
            or_(
                and_(Staff.role == StaffRole.ADMIN, Staff.commune_code.is_(None)),
                and_(Staff.commune_code == commune_code, Staff.unit_id.is_(None)),
                and_(Staff.role == StaffRole.ADMIN, Staff.commune_code == commune_code),
                Staff.unit_id == unit_id if unit_id is not None else false(),
            )
        )
    units: dict[int, tuple[str, list[int]]] = {}
    communes: dict[str, list[int]] = {}
    admins: list[int] = []
    for user_id, role, commune, unit, kind in await session.execute(stmt):
        if role == StaffRole.ADMIN and commune is None:
            level = admins
        elif role == StaffRole.ADMIN:
            level = communes.setdefault(commune, [])
        elif unit is not None:
            level = units.setdefault(unit, (kind, []))[1]
        else:
            level = communes.setdefault(commune, [])
        if user_id not in level:
            level.append(user_id)
    return Roster(units, communes, admins)
