"""Forgetting what is no longer needed: raw updates once processed, dedupe keys once no
platform would redeliver their event, and messages long delivered (or given up). Deleted
in small chunks, each its own statement, so a big backlog never holds the database for
long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import InboxUpdate, OutboxMessage, OutboxStatus, ProcessedEvent


async def _prune(
    session: AsyncSession,
    model: type[InboxUpdate] | type[ProcessedEvent],
    at: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
    before: datetime,
    limit: int,
) -> int:
    oldest = select(model.id).where(at < before).order_by(at, model.id).limit(limit)
    done = await session.execute(delete(model).where(model.id.in_(oldest)))
    return done.rowcount


async def prune_inbox(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` raw updates processed before ``before``; how many went."""
    return await _prune(session, InboxUpdate, InboxUpdate.processed_at, before, limit)


async def prune_dedupe_keys(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` dedupe keys of events processed before ``before``."""
    return await _prune(session, ProcessedEvent, ProcessedEvent.processed_at, before, limit)


# A message in one of these states will not be sent (again).
_FINISHED = (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.CANCELLED)


async def prune_outbox(
    session: AsyncSession, before: datetime, limit: int, after_id: int = 0
) -> int | None:
    """Delete the finished messages created before ``before`` among the next ``limit`` by
    id after ``after_id``, except a broadcast's (its figures are read from them); the last
    id looked at, or None once no older message is left. Read along the primary key, so a
    night's pass looks at each old row once however many are kept."""
    rows = (
        await session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.created_at,
                OutboxMessage.status,
                OutboxMessage.broadcast_id,
            )
            .where(OutboxMessage.id > after_id)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    old = [r for r in rows if r.created_at < before]
    doomed = [r.id for r in old if r.status in _FINISHED and r.broadcast_id is None]
    if doomed:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))
    # Ids follow creation: past the first newer message there is nothing more to prune.
    return old[-1].id if old and len(old) == len(rows) else None
