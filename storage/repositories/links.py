"""Linking a person's identities on several channels: one-time codes, and moving an
identity from one person to another."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import AuditEntry, ChannelIdentity, Conversation, LinkCode, Staff, User

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
# Wrong codes, sent by anyone, after which every code alive at the time is void: with a
# million codes, any one of them is guessed with a chance of at most 1 in 20,000.
WRONG_GUESSES_PER_CODE = 50
# Wrong codes one person may send in a while before they must wait.
WRONG_GUESSES_PER_PERSON = 5
GUESS_WINDOW = timedelta(minutes=15)
# The audit action of a wrong code: what the per-person limit counts.
WRONG_CODE = "link.wrong_code"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Live:
    """A live code, as found by what was typed."""

    id: int
    user_id: int
    channel: str


async def issue(session: AsyncSession, *, user_id: int, channel: str, now: datetime) -> str:
    """A new code for the person, replacing any they had; only its hash is stored. Expired
    codes go now, so that a short code's few values are free again."""
    await session.execute(
        delete(LinkCode).where((LinkCode.expires_at <= now) | (LinkCode.user_id == user_id))
    )
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        taken = await session.scalar(select(exists().where(LinkCode.code_hash == _hash(code))))
        if not taken:
            break
    session.add(
        LinkCode(
            code_hash=_hash(code),
            user_id=user_id,
            channel=channel,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            wrong_guesses=0,
        )
    )
    return code


async def find(session: AsyncSession, code: str, now: datetime) -> Live | None:
    """The live code typed; None for a wrong, expired or voided one, and then the wrong
    guess counts against every live code."""
    row = (
        await session.execute(
            select(LinkCode.id, LinkCode.user_id, LinkCode.channel).where(
                LinkCode.code_hash == _hash(code),
                LinkCode.expires_at > now,
                LinkCode.wrong_guesses < WRONG_GUESSES_PER_CODE,
            )
        )
    ).first()
    if row is None:
        await session.execute(
            update(LinkCode)
            .where(LinkCode.expires_at > now)
            .values(wrong_guesses=LinkCode.wrong_guesses + 1)
        )
        return None
    return Live(*row)


async def consume(session: AsyncSession, code_id: int) -> bool:
    """Use a code up; False when someone else just did."""
    return (await session.execute(delete(LinkCode).where(LinkCode.id == code_id))).rowcount == 1


async def wrong_guesses(session: AsyncSession, user_id: int, now: datetime) -> int:
    """Wrong codes the person sent lately (from the audit log, by its actor index)."""
    return await session.scalar(
        select(func.count()).where(
            AuditEntry.actor_user_id == user_id,
            AuditEntry.action == WRONG_CODE,
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
