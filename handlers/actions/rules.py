"""The rules every decision shares, in one place: whose cases an actor may touch (role and
scope), who is the citizen's own person (conflict of interest), who decides a case (the
nearest scope with no one of the citizen's own person in it, and never the officer who
entered the form, unless they are their scope's only officer and an admin allowed it), and
which records may be the same person twice (duplicates)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from handlers.actions.base import Actor, Likeness, Reason, Refused, Work
from storage.models import Assessment, AssessmentStatus, Profile, person_key
from storage.repositories import reviews, staff
from storage.repositories.reviews import Scope

# A person as they typed themselves in: name (no accents, case or spaces), birth year,
# commune. Two profiles with the same key are taken to be one person registered twice.
Key = tuple[str, int, str | None]


def key_of(full_name: str | None, birth_year: int | None, commune_code: str | None) -> Key | None:
    if not full_name or birth_year is None:
        return None
    return person_key(full_name), birth_year, commune_code


def profile_key(p: Profile) -> Key | None:
    return key_of(p.full_name, p.birth_year, p.commune_code)


async def keys_of(session: AsyncSession, user_ids: Collection[int]) -> dict[int, Key]:
    """The key of each of these people who has a profile."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Profile.user_id, Profile.full_name, Profile.birth_year, Profile.commune_code).where(
            Profile.user_id.in_(sorted(user_ids))
        )
    )
    return {u: k for u, *fields in rows if (k := key_of(*fields)) is not None}


def same_person(citizen_id: int, citizen_key: Key | None, other_id: int, other: Key | None) -> bool:
    """Whether another user is the citizen's own person: the same user (every app a person
    linked is one user) or a profile with the citizen's key (an app not linked)."""
    return other_id == citizen_id or (citizen_key is not None and other == citizen_key)


def neutral(levels: Sequence[list[int]], own: Callable[[int], bool]) -> list[list[int]]:
    """The levels that may decide a case (nearest first): those with none of the citizen's
    own person in them, so a case of an officer's own goes to the scope above theirs."""
    return [level for level in levels if not any(own(user_id) for user_id in level)]


async def deciders(
    session: AsyncSession,
    content: Content,
    citizen: Profile,
    target_group: str,
    entered_by: int | None = None,
) -> list[int]:
    """Who is told of a citizen's submission: the nearest neutral level (user ids, in the
    order they joined), without the officer who entered the form unless they may decide it
    (`may_decide_entered`); none when there is no officer or admin for it yet."""
    roster = await staff.roster(
        session, commune_code=citizen.commune_code or "", unit_id=citizen.unit_id
    )
    every = roster.levels(
        citizen.commune_code, citizen.unit_id, content.routing.kinds_for(target_group)
    )
    keys = await keys_of(session, roster.everyone)
    mine = profile_key(citizen)
    found = neutral(every, lambda u: same_person(citizen.user_id, mine, u, keys.get(u)))
    if entered_by is not None and not await staff.sole_allowed(session, entered_by, citizen):
        found = without(found, entered_by)
    return found[0] if found else []


def without(levels: Sequence[list[int]], entered_by: int) -> list[list[int]]:
    """The levels without the officer who entered the form (a level left empty goes)."""
    return [kept for level in levels if (kept := [u for u in level if u != entered_by])]


async def may_decide_entered(
    session: AsyncSession, user_id: int | None, a: Assessment, citizen: Profile
) -> bool:
    """Whether this person may decide this case as far as entering it goes: anyone but the
    officer who entered the form, who may only as the only officer of a scope covering the
    citizen, allowed by an admin (`staff.allow_sole`)."""
    if a.entered_by is None or a.entered_by != user_id:
        return True
    return await staff.sole_allowed(session, user_id, citizen)


async def not_entered(work: Work, actor: Actor, a: Assessment, citizen: Profile) -> None:
    """Refuse (ENTERED, noted as a conflict of interest) a decision by the officer who
    entered the form."""
    if not await may_decide_entered(work.session, actor.user_id, a, citizen):
        await work.record(actor, "review.conflict_entered", str(a.id))
        raise Refused(Reason.ENTERED)


def covers_commune(roles: Sequence[Scope], commune_code: str) -> bool:
    """Whether these roles reach people of the commune (the province's, or a role in it)."""
    return any(r.province or r.commune_code == commune_code for r in roles)


async def roles_of(work: Work, actor: Actor) -> list[Scope]:
    """The actor's active roles; the command line acts for the whole province."""
    if actor.user_id is None:
        return [Scope(admin=True)]
    return await reviews.scopes(work.session, actor.user_id, work.content.routing)


async def is_own(work: Work, actor: Actor, citizen: Profile) -> bool:
    if actor.user_id is None:
        return False
    keys = await keys_of(work.session, [actor.user_id])
    return same_person(
        citizen.user_id, profile_key(citizen), actor.user_id, keys.get(actor.user_id)
    )


async def case(work: Work, actor: Actor, assessment_id: int) -> tuple[Assessment, Profile]:
    """The case if the actor may act on it: within one of their roles' scope and not of
    their own person. Otherwise refused (and audited): OUT_OF_SCOPE says nothing of whether
    the case exists; OWN_CASE is noted as a conflict of interest."""
    roles = await roles_of(work, actor)
    found = await reviews.load(work.session, assessment_id) if roles else None
    if found is None or not reviews.covers(roles, *found):
        await work.record(actor, "review.refused", str(assessment_id))
        raise Refused(Reason.OUT_OF_SCOPE)
    if await is_own(work, actor, found[1]):
        await work.record(actor, "review.conflict", str(assessment_id))
        raise Refused(Reason.OWN_CASE)
    return found


async def likeness(work: Work, a: Assessment, citizen: Profile) -> list[Likeness]:
    """Other people's records of the same year that may be this person again: the same
    name (without accents, case and spaces), birth year and commune."""
    mine = profile_key(citizen)
    if mine is None:
        return []
    return [
        Likeness(r.assessment_id, r.user_id, r.full_name or "", r.status)
        for r in await reviews.alike(work.session, a, citizen)
        if key_of(r.full_name, citizen.birth_year, citizen.commune_code) == mine
    ]


def titled(found: Sequence[Likeness]) -> list[Likeness]:
    """Those that already hold the year's title."""
    return [x for x in found if x.status == AssessmentStatus.APPROVED]
