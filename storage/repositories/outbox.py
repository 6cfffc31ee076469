"""Outgoing messages: written in the same transaction as the state change that caused them,
claimed and delivered later by delivery workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus

# Replies to what a person just did go first; these wait behind them.
BULK_KINDS = frozenset({"reminder", "broadcast"})
REPLY_LANE, BULK_LANE = 0, 1


@dataclass(frozen=True, slots=True)
class NewMessage:
    user_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]


async def enqueue(session: AsyncSession, messages: Sequence[NewMessage], now: datetime) -> None:
    """Queue messages with one INSERT. (An ORM flush would insert them one by one on SQLite,
    which cannot batch an INSERT whose generated ids must be read back in order.)"""
    if not messages:
        return
    await session.execute(
        insert(OutboxMessage),
        [
            {
                "user_id": m.user_id,
                "channel": m.channel,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "lane": BULK_LANE if m.kind in BULK_KINDS else REPLY_LANE,
                "payload": m.payload,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
        ],
    )


async def claim(
    session: AsyncSession, *, channel: str, limit: int, now: datetime, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of ``channel``, oldest first, for ``lease``.

    Due means pending and past its ``next_attempt_at``, or claimed by a worker whose lease ran
    out (it crashed or hung). A claimed row is invisible to other claimers until its lease ends,
    so commit the claim before sending.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        # PostgreSQL: concurrent claimers skip each other's rows instead of queueing on them.
        # SQLite renders no locking clause; its single writer already makes the UPDATE atomic.
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            next_attempt_at=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
    )
    # RETURNING gives rows in no promised order.
    return sorted(claimed, key=lambda message: message.id)


async def mark_sent(
    session: AsyncSession, message_id: int, platform_message_id: str | None, now: datetime
) -> None:
    """Record delivery; a message whose person has since deleted their data goes entirely,
    so that we keep no address of someone we no longer know."""
    kept = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.user_id.is_not(None))
        .values(status=OutboxStatus.SENT, platform_message_id=platform_message_id, sent_at=now)
    )
    if kept.rowcount == 0:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}
