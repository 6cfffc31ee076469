"""What /healthz asks of the queues beyond their own repositories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OUTBOX_UNFINISHED_SQL, OutboxMessage
from storage.repositories.outbox import REPLY_LANE


async def oldest_due_reply(session: AsyncSession, now: datetime) -> datetime | None:
    """Since when the longest-overdue reply (to a person's own action) has been due; None
    when none is. Bulk messages are left out: a broadcast is due for hours by design."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            text(OUTBOX_UNFINISHED_SQL),  # served by the partial index of unfinished rows
            OutboxMessage.lane == REPLY_LANE,
            OutboxMessage.next_attempt_at <= now,
        )
    )
