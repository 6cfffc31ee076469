"""Loading and creating the people behind a batch of chats in a fixed, small number of
round trips: the engine's budget is database round trips per event, not per person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Assessment, ChannelIdentity, Conversation, User
from storage.pairs import pairs_in

ChatKey = tuple[str, str]  # (channel, external user id)


async def lock(session: AsyncSession, keys: Iterable[ChatKey]) -> None:
    """Hold these chats for the transaction, so that two processes never work on one chat at
    once and its events apply in order. SQLite needs nothing: BEGIN IMMEDIATE already admits
    one writer at a time. On PostgreSQL the lock comes first, in its own statement, because a
    statement that waited for a lock still reads the rows it joins as they were before.

    A person with linked identities has one conversation for all of them, so their user row
    is locked too, once the identities are held (which also holds which user each belongs
    to: re-attaching an identity needs its row lock)."""
    wanted = sorted(set(keys))
    bind = session.get_bind()
    if not wanted or bind.dialect.name == "sqlite":
        return
    await session.execute(
        select(ChannelIdentity.id)
        .where(_identities(wanted))
        .order_by(ChannelIdentity.id)  # one order everywhere: no deadlocks between batches
        .with_for_update()
    )
    await session.execute(
        select(User.id)
        .where(User.id.in_(select(ChannelIdentity.user_id).where(_identities(wanted))))
        .order_by(User.id)
        .with_for_update()
    )


async def load_identities(
    session: AsyncSession, keys: Iterable[ChatKey]
) -> dict[ChatKey, ChannelIdentity]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    stmt = (
        select(ChannelIdentity)
        .where(_identities(wanted))
        .options(
            joinedload(ChannelIdentity.user).options(
                joinedload(User.profile), joinedload(User.conversation)
            )
        )
    )
    rows = (await session.scalars(stmt)).unique()
    return {(i.channel, i.external_user_id): i for i in rows}


def _identities(keys: Iterable[ChatKey]) -> ColumnElement[bool]:
    return pairs_in(ChannelIdentity.channel, ChannelIdentity.external_user_id, keys)


async def load_assessments(
    session: AsyncSession, user_ids: Iterable[int], year: int
) -> dict[int, Assessment]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    stmt = (
        select(Assessment)
        .where(Assessment.user_id.in_(ids), Assessment.year == year)
        .options(selectinload(Assessment.answers))
    )
    return {a.user_id: a for a in await session.scalars(stmt)}


async def latest_assessment_before(
    session: AsyncSession, user_id: int, year: int
) -> Assessment | None:
    """The person's assessment of the latest year before ``year``, with its answers."""
    return await session.scalar(
        select(Assessment)
        .where(Assessment.user_id == user_id, Assessment.year < year)
        .order_by(Assessment.year.desc())
        .limit(1)
        .options(selectinload(Assessment.answers))
    )


def create_person(
    session: AsyncSession,
    *,
    channel: str,
    external_user_id: str,
    chat_id: str,
    locale: str,
    flow: str,
    step: str,
    now: datetime,
) -> ChannelIdentity:
    """A first contact: a user, the identity it came from and a conversation. No profile:
    that needs consent."""
    user = User(locale=locale, created_at=now, profile=None)
    identity = ChannelIdentity(
        user=user,
        channel=channel,
        external_user_id=external_user_id,
        chat_id=chat_id,
        created_at=now,
        last_seen_at=now,
    )
    user.conversation = Conversation(flow=flow, step=step, data={}, version=1, updated_at=now)
    session.add_all([user, identity])
    return identity


async def addresses(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, ChatKey]:
    """Where to reach each person: (channel, chat id) of the identity they used last among
    those that may be written to (one message per person, however many apps they linked).
    People with none are left out."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(ChannelIdentity.user_id, ChannelIdentity.channel, ChannelIdentity.chat_id)
        .where(ChannelIdentity.user_id.in_(ids), ChannelIdentity.unreachable_at.is_(None))
        .order_by(ChannelIdentity.last_seen_at, ChannelIdentity.id)
    )
    return {user_id: (channel, chat_id) for user_id, channel, chat_id in rows}  # latest wins
