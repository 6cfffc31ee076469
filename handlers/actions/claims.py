"""Claim codes for records an officer entered: printed on receipts for a unit's people who
have no chat yet, or given at the end of assisted entry. Issuing replaces a person's code:
only the latest receipt works."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.actions import rules
from handlers.actions.base import Actor, Reason, Refused, Work
from storage.models import Profile, Unit
from storage.repositories import claims, links, staff
from storage.repositories.reviews import Scope


@dataclass(frozen=True, slots=True)
class Receipt:
    """One person's slip: who, and the code as printed."""

    full_name: str
    birth_year: int | None
    code: str


@dataclass(frozen=True, slots=True)
class Receipts:
    """A unit's slips, by name."""

    unit: Unit
    slips: list[Receipt]


def _covers(roles: list[Scope], unit: Unit) -> bool:
    return any(
        r.province
        or r.unit_id == unit.id
        or (r.unit_id is None and r.commune_code == unit.commune_code)
        for r in roles
    )


async def receipts(work: Work, actor: Actor, unit_code: str, *, key: bytes) -> Receipts:
    """Fresh codes for the unit's registered people without a chat (none: no slips).
    NOT_FOUND for an unknown unit or one outside the actor's scope (never which)."""
    unit = await staff.unit_by_code(work.session, unit_code)
    if unit is None or not _covers(await rules.roles_of(work, actor), unit):
        await work.record(actor, "claim.refused", unit_code)
        raise Refused(Reason.NOT_FOUND)
    people = await claims.unclaimed(work.session, unit.id)
    codes = await claims.issue(
        work.session, [p.user_id for p in people], by=actor.user_id, now=work.now, key=key
    )
    await work.record(actor, "claim.codes_issued", unit.code, count=len(codes))
    return Receipts(unit, [Receipt(p.full_name, p.birth_year, codes[p.user_id]) for p in people])


async def for_assisted(work: Work, actor: Actor, citizen: Profile, *, key: bytes) -> str:
    """The code of a person whose consent the actor witnessed in assisted entry, while no
    chat has taken the record over."""
    if (
        actor.user_id is None
        or citizen.consent_witness != actor.user_id
        or await links.identities(work.session, citizen.user_id)
    ):
        await work.record(actor, "claim.refused", str(citizen.user_id))
        raise Refused(Reason.NOT_FOUND)
    codes = await claims.issue(
        work.session, [citizen.user_id], by=actor.user_id, now=work.now, key=key
    )
    await work.record(actor, "claim.codes_issued", str(citizen.user_id), count=1)
    return codes[citizen.user_id]
