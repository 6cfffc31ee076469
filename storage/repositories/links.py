"""Linking a person's identities on several channels: one-time codes, and moving an
identity from one person to another."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    AuditEntry,
    ChannelIdentity,
    ClaimCode,
    Conversation,
    GuardianCode,
    LinkCode,
    Staff,
    User,
)

# Long enough that guessing is hopeless within the per-person limit below, with no limit
# shared by everyone (which anyone could exhaust to void other people's codes): an account
# gets 5 wrong codes per 15 minutes, 480 a day; against the few codes alive at any moment
# (say 10) among 10^10, a hundred accounts guessing all day hit one with a chance of
# 48,000 × 10 / 10^10, about 1 in 20,000.
CODE_DIGITS = 10
CODE_LIFETIME = timedelta(minutes=10)
# Times one code may be sent and refused (from an app that already has data of its own, or
# its own app) before it is void: whoever holds it has had their tries.
TRIES_PER_CODE = 3
# Wrong codes one person (all their linked apps together) may send in a while before they
# must wait.
WRONG_GUESSES_PER_PERSON = 5
GUESS_WINDOW = timedelta(minutes=15)
# The audit action of a wrong code: what the per-person limit counts.
WRONG_CODE = "link.wrong_code"


def code_hash(code: str, key: bytes) -> str:
    """Keyed: a copy of the table alone does not give the codes away (10^10 values are
    too few to withstand a plain hash)."""
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def shown(code: str) -> str:
    """The code as people read it: in two groups of five."""
    return f"{code[:5]} {code[5:]}"


async def new_code(
    session: AsyncSession,
    model: type[LinkCode] | type[GuardianCode] | type[ClaimCode],
    key: bytes,
    digits: int = CODE_DIGITS,
) -> tuple[str, str]:
    """A code that no row of `model` has, and its keyed hash."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(digits))
        digest = code_hash(code, key)
        if not await session.scalar(select(exists().where(model.code_hash == digest))):
            return code, digest


@dataclass(frozen=True, slots=True)
class Live:
    """A live code, as found by what was typed."""

    id: int
    user_id: int
    channel: str


async def issue(
    session: AsyncSession, *, user_id: int, channel: str, now: datetime, key: bytes
) -> str:
    """A new code for the person, replacing any they had; only its keyed hash is stored.
    Expired codes go now."""
    await session.execute(
        delete(LinkCode).where((LinkCode.expires_at <= now) | (LinkCode.user_id == user_id))
    )
    code, digest = await new_code(session, LinkCode, key)
    session.add(
        LinkCode(
            code_hash=digest,
            user_id=user_id,
            channel=channel,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            wrong_guesses=0,
        )
    )
    return code


async def find(session: AsyncSession, code: str, now: datetime, key: bytes) -> Live | None:
    """The live code typed; None for a wrong, expired or used-up one. A wrong code counts
    against its sender only (see `wrong_guesses`), never against other people's codes."""
    row = (
        await session.execute(
            select(LinkCode.id, LinkCode.user_id, LinkCode.channel).where(
                LinkCode.code_hash == code_hash(code, key),
                LinkCode.expires_at > now,
                LinkCode.wrong_guesses < TRIES_PER_CODE,
            )
        )
    ).first()
    return Live(*row) if row is not None else None


async def refused(session: AsyncSession, code_id: int) -> None:
    """Count a refused try of the code (its `wrong_guesses`): at TRIES_PER_CODE it is void."""
    await session.execute(
        update(LinkCode)
        .where(LinkCode.id == code_id)
        .values(wrong_guesses=LinkCode.wrong_guesses + 1)
    )


async def consume(session: AsyncSession, code_id: int) -> bool:
    """Use a code up; False when someone else just did."""
    return (await session.execute(delete(LinkCode).where(LinkCode.id == code_id))).rowcount == 1


async def wrong_guesses(
    session: AsyncSession, user_id: int, now: datetime, action: str = WRONG_CODE
) -> int:
    """Wrong codes the person sent lately (from the audit log, by its actor index)."""
    return await session.scalar(
        select(func.count()).where(
            AuditEntry.actor_user_id == user_id,
            AuditEntry.action == action,
            AuditEntry.created_at > now - GUESS_WINDOW,
        )
    )


async def identities(session: AsyncSession, user_id: int) -> list[ChannelIdentity]:
    """The person's identities, oldest first."""
    return list(
        await session.scalars(
            select(ChannelIdentity)
            .where(ChannelIdentity.user_id == user_id)
            .order_by(ChannelIdentity.id)
        )
    )


async def identity_of(
    session: AsyncSession, identity_id: int, user_id: int
) -> ChannelIdentity | None:
    """One of the person's identities, with its person; None if it is not theirs."""
    return await session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.id == identity_id, ChannelIdentity.user_id == user_id)
        .options(joinedload(ChannelIdentity.user))
    )


async def has_role(session: AsyncSession, user_id: int) -> bool:
    """Whether the person is or was staff (revoked roles are kept for the audit trail)."""
    return bool(await session.scalar(select(exists().where(Staff.user_id == user_id))))


async def load_person(session: AsyncSession, user_id: int) -> User | None:
    """A person with their profile and conversation, held for the transaction: their other
    identity's events wait meanwhile (on PostgreSQL; SQLite has one writer anyway)."""
    return await session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(joinedload(User.profile), joinedload(User.conversation))
        .with_for_update(of=User)
    )


async def attach(session: AsyncSession, identity: ChannelIdentity, to: User) -> None:
    """Give the identity to another person; its former person, who must have nothing else
    (no profile, no role, no other identity), is deleted with their conversation."""
    empty = identity.user
    identity.user = to
    # The identity must point away before its former person goes, or the database's
    # cascade would take it along.
    await session.flush()
    await session.delete(empty)


async def detach(
    session: AsyncSession, identity: ChannelIdentity, *, flow: str, step: str, now: datetime
) -> User:
    """Make the identity a new person of its own, with a fresh conversation; the data stays
    with the person it leaves."""
    user = User(locale=identity.user.locale, created_at=now, profile=None)
    user.conversation = Conversation(flow=flow, step=step, data={}, version=1, updated_at=now)
    session.add(user)
    identity.user = user
    await session.flush()
    return user
