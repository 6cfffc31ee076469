"""Reply windows and proactive spend, for channels that let the bot write first only for a
while after the person wrote (bot/channels/capabilities.py ``ReplyWindow``).

A person's message opens their chat's window in the transaction that processes it, and
hands back the chat's deferred messages. A delivery worker takes a reply from the window, or
else one proactive message from the channel's monthly budget, each with one conditional
UPDATE: atomic on both backends, so workers sharing the database never overspend (on
PostgreSQL a concurrent UPDATE of the same row waits, then re-checks the condition).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatWindow, OutboxMessage, OutboxStatus, ProactiveSpend
from storage.repositories import outbox
from storage.upsert import dialect_insert


@dataclass(frozen=True, slots=True)
class Inbound:
    """A person's message on a channel with a reply window."""

    channel: str
    chat_id: str
    quote_id: str  # what a reply quotes: the platform's id of that message
    at: datetime


async def opened(
    session: AsyncSession, messages: Sequence[Inbound], now: datetime, expire_before: datetime
) -> None:
    """Open (or renew) each chat's window, and send its deferred messages again, in their
    order; bulk ones (reminders, broadcasts) queued before ``expire_before`` are cancelled as
    expired instead."""
    if not messages:
        return
    table = ChatWindow.__table__
    stmt = dialect_insert(session)(table)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.channel, table.c.chat_id],
            set_={
                "last_inbound_at": stmt.excluded.last_inbound_at,
                "quote_id": stmt.excluded.quote_id,
                "replies_used": 0,
            },
        ),
        [
            {
                "channel": m.channel,
                "chat_id": m.chat_id,
                "last_inbound_at": m.at,
                "quote_id": m.quote_id,
                "replies_used": 0,
            }
            for m in messages
        ],
    )
    chats: defaultdict[str, list[str]] = defaultdict(list)
    for m in messages:
        chats[m.channel].append(m.chat_id)
    for channel, chat_ids in chats.items():
        deferred = (
            (OutboxMessage.channel == channel)
            & OutboxMessage.chat_id.in_(chat_ids)
            & (OutboxMessage.status == OutboxStatus.DEFERRED)
        )
        await outbox.expire(session, deferred, expire_before, now)
        # The claim takes each chat's messages by id, so they go in the order queued.
        await session.execute(
            update(OutboxMessage)
            .where(deferred)
            .values(status=OutboxStatus.PENDING, next_attempt_at=now)
        )


async def take_reply(
    session: AsyncSession, channel: str, chat_id: str, *, since: datetime, free: int | None
) -> str | None:
    """Count one reply in the chat's window if it opened after ``since`` and has one of its
    ``free`` replies left (None: no limit); returns what the reply quotes, or None."""
    stmt = (
        update(ChatWindow)
        .where(
            ChatWindow.channel == channel,
            ChatWindow.chat_id == chat_id,
            ChatWindow.last_inbound_at > since,
        )
        .values(replies_used=ChatWindow.replies_used + 1)
        .returning(ChatWindow.quote_id)
    )
    if free is not None:
        stmt = stmt.where(ChatWindow.replies_used < free)
    return await session.scalar(stmt)


async def take_proactive(session: AsyncSession, channel: str, month: str, limit: int) -> bool:
    """Count one proactive message of ``channel`` in ``month`` if fewer than ``limit`` were."""
    if limit <= 0:
        return False
    await session.execute(
        dialect_insert(session)(ProactiveSpend)
        .values(channel=channel, month=month, used=0)
        .on_conflict_do_nothing(index_elements=[ProactiveSpend.channel, ProactiveSpend.month])
    )
    taken = await session.scalar(
        update(ProactiveSpend)
        .where(
            ProactiveSpend.channel == channel,
            ProactiveSpend.month == month,
            ProactiveSpend.used < limit,
        )
        .values(used=ProactiveSpend.used + 1)
        .returning(ProactiveSpend.used)
    )
    return taken is not None


async def give_back_reply(session: AsyncSession, channel: str, chat_id: str, quote_id: str) -> None:
    """Uncount a reply that was not sent, unless the person has written since (a new
    window, with its own count)."""
    await session.execute(
        update(ChatWindow)
        .where(
            ChatWindow.channel == channel,
            ChatWindow.chat_id == chat_id,
            ChatWindow.quote_id == quote_id,
            ChatWindow.replies_used > 0,
        )
        .values(replies_used=ChatWindow.replies_used - 1)
    )


async def give_back_proactive(session: AsyncSession, channel: str, month: str) -> None:
    """Uncount a proactive message that was not sent."""
    await session.execute(
        update(ProactiveSpend)
        .where(
            ProactiveSpend.channel == channel,
            ProactiveSpend.month == month,
            ProactiveSpend.used > 0,
        )
        .values(used=ProactiveSpend.used - 1)
    )


async def proactive_used(session: AsyncSession, channel: str, month: str) -> int:
    used = await session.scalar(
        select(ProactiveSpend.used).where(
            ProactiveSpend.channel == channel, ProactiveSpend.month == month
        )
    )
    return used or 0


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Forget up to ``limit`` windows whose person last wrote before ``before`` (long closed:
    no different from none); how many went."""
    oldest = (
        select(ChatWindow.channel, ChatWindow.chat_id)
        .where(ChatWindow.last_inbound_at < before)
        .order_by(ChatWindow.last_inbound_at)
        .limit(limit)
    )
    done = await session.execute(
        delete(ChatWindow).where(tuple_(ChatWindow.channel, ChatWindow.chat_id).in_(oldest))
    )
    return done.rowcount
