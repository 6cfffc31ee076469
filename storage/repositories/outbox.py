"""Outgoing messages: written in the same transaction as the state change that caused them,
claimed and delivered later by delivery workers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus


def enqueue(
    session: AsyncSession,
    *,
    user_id: int | None,
    channel: str,
    chat_id: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    message = OutboxMessage(
        user_id=user_id,
        channel=channel,
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


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
