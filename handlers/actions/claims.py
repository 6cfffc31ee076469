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
    """One person's slip: who, where, and the code as printed."""

    full_name: str
    birth_year: int | None
    place: str
    code: str


@dataclass(frozen=True, slots=True)
class Receipts:
    """The slips of a unit, or of a whole commune, by name."""

    name: str  # the unit's or the commune's
    slips: list[Receipt]


def _covers(roles: list[Scope], unit: Unit | None, commune_code: str) -> bool:
    """A unit's people: its officers' and its commune's; a commune's: its own officers'."""
    return any(
        r.province
        or (unit is not None and r.unit_id == unit.id)
        or (r.unit_id is None and r.commune_code == commune_code)
        for r in roles
    )


async def receipts(work: Work, actor: Actor, code: str, *, key: bytes) -> Receipts:
    """Fresh codes for the registered people without a chat of a unit (by its code) or of
    a commune (by its code: all its units, and those of no unit). NOT_FOUND for an unknown
    place or one outside the actor's scope (never which)."""
    unit = await staff.unit_by_code(work.session, code)
    commune = work.content.units.get(code) if unit is None else None
    commune_code = unit.commune_code if unit is not None else code
    if (unit is None and commune is None) or not _covers(
        await rules.roles_of(work, actor), unit, commune_code
    ):
        await work.record(actor, "claim.refused", code)
        raise Refused(Reason.NOT_FOUND)
    if unit is not None:
        name, people = unit.name, await claims.unclaimed(work.session, unit_id=unit.id)
    else:
        assert commune is not None
        name, people = commune.name, await claims.unclaimed(work.session, commune_code=code)
    codes = await claims.issue(
        work.session, [p.user_id for p in people], by=actor.user_id, now=work.now, key=key
    )
    await work.record(actor, "claim.codes_issued", code, count=len(codes))
    return Receipts(
        name,
        [Receipt(p.full_name, p.birth_year, p.place or name, codes[p.user_id]) for p in people],
    )


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
