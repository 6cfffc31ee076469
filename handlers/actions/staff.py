"""The association's people: joining with an invite, inviting (role and scope), ending an
open invite, revoking a role, and the roster with names.

An admin's scope is the province or one commune. A commune admin may do everything an
admin may, inside that commune: invite and revoke its officers and admins (and its units'),
decide its cases, have its report, broadcast to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.actions.base import Actor, Reason, Refused, Work
from handlers.actions.rules import roles_of
from storage.models import Invite, Staff, StaffRole, Unit
from storage.repositories import staff, web_sessions
from storage.repositories.reviews import Scope

Row = TypeVar("Row", Invite, Staff)


async def scope_name(work: Work, commune_code: str | None, unit_id: int | None) -> str:
    """A scope as people say it: the province, a commune, or a unit with its commune."""
    units = work.content.units
    if commune_code is None:
        return units.province_name
    commune = units.get(commune_code)
    name = commune.name if commune else commune_code
    unit = await work.session.get(Unit, unit_id) if unit_id is not None else None
    return f"{unit.name}, {name}" if unit is not None else name


def manages(roles: list[Scope], commune_code: str | None) -> bool:
    """Whether these roles may give or end a role in this commune (None: the province)."""
    return any(r.province or (r.admin and r.commune_code == commune_code) for r in roles)


async def manager(work: Work, actor: Actor) -> list[Scope]:
    roles = [r for r in await roles_of(work, actor) if r.admin]
    if not roles:
        await work.record(actor, "staff.refused", None)
        raise Refused(Reason.NOT_STAFF)
    return roles


@dataclass(frozen=True, slots=True)
class Joined:
    role: Staff
    scope: str


async def join(work: Work, actor: Actor, code: str) -> Joined:
    """Redeem an invite: the actor gets the role it stands for. NOT_FOUND (noted, without
    the code) for a wrong, used or expired code."""
    if actor.user_id is None:
        raise Refused(Reason.NOT_FOUND)
    joined = await staff.redeem(work.session, code.strip(), actor.user_id, work.now)
    if joined is None:
        await work.record(actor, "staff.invite_refused", None)
        raise Refused(Reason.NOT_FOUND)
    await work.record(
        actor,
        "staff.joined",
        f"staff:{joined.id}",
        role=joined.role,
        commune=joined.commune_code,
        unit=joined.unit_id,
    )
    return Joined(joined, await scope_name(work, joined.commune_code, joined.unit_id))


@dataclass(frozen=True, slots=True)
class Invited:
    """A new invite: the code (shown once, only its hash is kept), what it gives, until
    when."""

    code: str
    role: StaffRole
    commune_code: str | None
    unit_id: int | None
    scope: str
    expires_at: datetime


async def invite(work: Work, actor: Actor, *, role: StaffRole, scope: str | None) -> Invited:
    """A one-time code that makes its sender `role` of `scope`: a commune code, a unit code
    (`<commune>-<id>`, officers only) or None (the province, admins only). BAD_SCOPE for an
    unknown commune or unit or a combination that means nothing."""
    roles = await manager(work, actor)
    commune, unit_id = scope, None
    if scope is not None and "-" in scope:
        unit = await staff.unit_by_code(work.session, scope)
        if unit is None or role == StaffRole.ADMIN:
            raise Refused(Reason.BAD_SCOPE)
        commune, unit_id = unit.commune_code, unit.id
    elif scope is not None and work.content.units.get(scope) is None:
        raise Refused(Reason.BAD_SCOPE)
    if scope is None and role == StaffRole.OFFICER:
        raise Refused(Reason.BAD_SCOPE)
    if not manages(roles, commune):
        await work.record(actor, "staff.refused", None, commune=commune)
        raise Refused(Reason.OUT_OF_SCOPE)
    code = await staff.invite(
        work.session, role=role, commune_code=commune, unit_id=unit_id, now=work.now
    )
    await work.record(actor, "staff.invited", None, role=role.value, commune=commune, unit=unit_id)
    return Invited(
        code,
        role,
        commune,
        unit_id,
        await scope_name(work, commune, unit_id),
        work.now + staff.INVITE_LIFETIME,
    )


@dataclass(frozen=True, slots=True)
class OpenInvite:
    invite: Invite
    scope: str


async def invites(work: Work, actor: Actor) -> list[OpenInvite]:
    """The open invites the actor manages, oldest first."""
    roles = await manager(work, actor)
    return [
        OpenInvite(i, await scope_name(work, i.commune_code, i.unit_id))
        for i in await staff.open_invites(work.session, work.now)
        if manages(roles, i.commune_code)
    ]


async def cancel_invite(work: Work, actor: Actor, invite_id: int) -> Invite:
    """End an open invite at once. NOT_FOUND when it is not open or not the actor's to
    end."""
    found = await _end(work, actor, Invite, invite_id, staff.cancel_invite)
    await work.record(actor, "staff.invite_cancelled", f"invite:{invite_id}")
    return found


async def revoke(work: Work, actor: Actor, staff_id: int) -> Staff:
    """End a role at once: with no other role left, the person's console sessions end too
    (deleted, not only refused at their next request). NOT_FOUND when it is not active or
    not the actor's to end."""
    found = await _end(work, actor, Staff, staff_id, staff.revoke)
    ended = 0
    if not await roles_of(work, Actor(found.user_id)):
        ended = await web_sessions.end_all(work.session, found.user_id)
    await work.record(actor, "staff.revoked", f"staff:{staff_id}", sessions_ended=ended)
    return found


async def _end(
    work: Work,
    actor: Actor,
    kind: type[Row],
    row_id: int,
    end: Callable[[AsyncSession, int, datetime], Awaitable[bool]],
) -> Row:
    roles = await manager(work, actor)
    found = await work.session.get(kind, row_id)
    if (
        found is None
        or not manages(roles, found.commune_code)
        or not await end(work.session, row_id, work.now)
    ):
        raise Refused(Reason.NOT_FOUND)
    return found


@dataclass(frozen=True, slots=True)
class Member:
    role: Staff
    name: str | None  # None until they register as a citizen
    scope: str


async def people(work: Work, actor: Actor, *, include_revoked: bool = False) -> list[Member]:
    """The roles the actor manages, in the order granted, with names and scopes. A person
    reading these names is noted (the server's operator reads the database anyway)."""
    roles = await manager(work, actor)
    members = [
        Member(s, name, await scope_name(work, s.commune_code, s.unit_id))
        for s, name in await staff.named_roles(work.session, include_revoked=include_revoked)
        if manages(roles, s.commune_code)
    ]
    if actor.user_id is not None:
        await work.record(actor, "staff.listed", None, roles=len(members))
    return members


async def allow_sole(work: Work, actor: Actor, staff_id: int, allowed: bool) -> None:
    """Let (or no longer let) an officer who is the only one of their unit or commune decide
    the paper forms they entered themselves: there is no one else to. NOT_FOUND when the
    role is not an active officer's the actor manages, NOT_SOLE when it shares its scope
    (the allowance would be ignored anyway: `rules.may_decide_entered`)."""
    roles = await manager(work, actor)
    found = await work.session.get(Staff, staff_id)
    if found is None or found.revoked_at is not None or not manages(roles, found.commune_code):
        raise Refused(Reason.NOT_FOUND)
    if allowed and await staff.officers_alike(work.session, found.commune_code, found.unit_id) != 1:
        await work.record(actor, "staff.sole_refused", f"staff:{staff_id}")
        raise Refused(Reason.NOT_SOLE)
    if not await staff.allow_sole(work.session, staff_id, allowed, work.now):
        raise Refused(Reason.NOT_FOUND)
    await work.record(
        actor, "staff.sole_allowed" if allowed else "staff.sole_ended", f"staff:{staff_id}"
    )
