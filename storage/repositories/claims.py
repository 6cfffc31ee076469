"""Claim codes: the code on a receipt for a record an officer entered (a paper form, or
assisted entry), which a citizen sends from their chat to take the record over.

Hashed with the link codes' key (storage/repositories/links.py), but longer and without
an expiry: a receipt may wait in a drawer until the village meeting. The odds: an account
gets 5 wrong codes per 15 minutes, 480 a day; a hundred accounts guessing all day among
10,000 live codes in 10^12 find one with a chance of 48,000 × 10^4 / 10^12, about 1 in
2,000, and then still need the person's birth year within TRIES_PER_CODE tries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, ClaimCode, Profile, Unit
from storage.repositories.links import code_hash, new_code

CODE_DIGITS = 12
# Wrong birth years given with one code before it is void (a new receipt replaces it).
TRIES_PER_CODE = 3
# The audit action of a wrong code: counted per sender, as for link codes.
WRONG_CODE = "claim.wrong_code"
# What a deep link carries before the code: `/start claim-123456789012`.
LINK_PREFIX = "claim-"


def shown(code: str) -> str:
    """The code as printed and read aloud: in three groups of four."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """A person whose record no chat has taken over yet, and their unit or village."""

    user_id: int
    full_name: str
    birth_year: int | None
    place: str


async def unclaimed(
    session: AsyncSession, *, unit_id: int | None = None, commune_code: str | None = None
) -> list[Unclaimed]:
    """The registered people without a chat identity of a unit, or of a whole commune
    (whatever their unit, or none), by name."""
    where = (
        Profile.unit_id == unit_id if unit_id is not None else Profile.commune_code == commune_code
    )
    rows = await session.execute(
        select(
            Profile.user_id,
            Profile.full_name,
            Profile.birth_year,
            func.coalesce(Unit.name, Profile.subunit_name, ""),
        )
        .outerjoin(Unit, Unit.id == Profile.unit_id)
        .where(
            where,
            Profile.registered_at.is_not(None),
            ~exists().where(ChannelIdentity.user_id == Profile.user_id),
        )
        .order_by(Profile.name_key, Profile.user_id)
    )
    return [Unclaimed(u, name or "", year, place) for u, name, year, place in rows]


async def issue(
    session: AsyncSession, user_ids: Sequence[int], *, by: int | None, now: datetime, key: bytes
) -> dict[int, str]:
    """Fresh codes for these people; the codes they had stop working."""
    if not user_ids:
        return {}
    await session.execute(delete(ClaimCode).where(ClaimCode.user_id.in_(list(user_ids))))
    codes: dict[int, str] = {}
    for user_id in user_ids:
        code, digest = await new_code(session, ClaimCode, key, CODE_DIGITS)
        session.add(
            ClaimCode(
                code_hash=digest, user_id=user_id, issued_by=by, created_at=now, wrong_guesses=0
            )
        )
        codes[user_id] = code
    await session.flush()  # the next code is checked against these
    return codes


@dataclass(frozen=True, slots=True)
class Live:
    id: int
    user_id: int


async def find(session: AsyncSession, code: str, key: bytes) -> Live | None:
    """The live code typed; None for a wrong, replaced or used-up one."""
    row = (
        await session.execute(
            select(ClaimCode.id, ClaimCode.user_id).where(
                ClaimCode.code_hash == code_hash(code, key),
                ClaimCode.wrong_guesses < TRIES_PER_CODE,
            )
        )
    ).first()
    return Live(*row) if row is not None else None


async def still_live(session: AsyncSession, code_id: int) -> Live | None:
    """The code found earlier in the conversation, if it still works."""
    row = (
        await session.execute(
            select(ClaimCode.id, ClaimCode.user_id).where(
                ClaimCode.id == code_id, ClaimCode.wrong_guesses < TRIES_PER_CODE
            )
        )
    ).first()
    return Live(*row) if row is not None else None


async def wrong_birth_year(session: AsyncSession, code_id: int) -> int:
    """Count a wrong birth year given with the code; the tries it has left."""
    used = await session.scalar(
        update(ClaimCode)
        .where(ClaimCode.id == code_id)
        .values(wrong_guesses=ClaimCode.wrong_guesses + 1)
        .returning(ClaimCode.wrong_guesses)
    )
    return max(TRIES_PER_CODE - (used or TRIES_PER_CODE), 0)


async def consume(session: AsyncSession, code_id: int) -> bool:
    """Use a code up; False when someone else just did."""
    return (await session.execute(delete(ClaimCode).where(ClaimCode.id == code_id))).rowcount == 1
