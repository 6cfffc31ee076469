"""A guardian's consent for a child under 16: the code the child passes on (hashed with the
link codes' key and length, storage/repositories/links.py), and the consent as recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GuardianCode, Profile
from storage.repositories.links import code_hash, new_code

# Long enough for the child to reach a parent, or an officer with a signed form.
CODE_LIFETIME = timedelta(days=7)
# The audit action of a wrong code: counted per sender, as for link codes.
WRONG_CODE = "guardian.wrong_code"


async def issue(session: AsyncSession, *, user_id: int, now: datetime, key: bytes) -> str:
    """A new code for the child, replacing theirs; expired codes of anyone go too."""
    await session.execute(
        delete(GuardianCode).where(
            (GuardianCode.expires_at <= now) | (GuardianCode.user_id == user_id)
        )
    )
    code, digest = await new_code(session, GuardianCode, key)
    session.add(
        GuardianCode(
            code_hash=digest, user_id=user_id, created_at=now, expires_at=now + CODE_LIFETIME
        )
    )
    return code


async def child_of(session: AsyncSession, code: str, now: datetime, key: bytes) -> Profile | None:
    """The profile of the child whose live code this is; None for a wrong or expired one."""
    return await session.scalar(
        select(Profile)
        .join(GuardianCode, GuardianCode.user_id == Profile.user_id)
        .where(GuardianCode.code_hash == code_hash(code, key), GuardianCode.expires_at > now)
    )


async def consent(
    session: AsyncSession, child: Profile, *, by: int, how: str, now: datetime
) -> None:
    """Record the consent, with who gave it (the guardian, or the officer who recorded a
    paper form) and how; the code is used up."""
    child.guardian_consent = True
    child.guardian_consent_by = by
    child.guardian_consent_how = how
    child.guardian_consent_at = now
    await session.execute(delete(GuardianCode).where(GuardianCode.user_id == child.user_id))
