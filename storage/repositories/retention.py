"""Forgetting what is no longer needed: raw updates once processed, and dedupe keys once no
platform would redeliver their event. Deleted in small chunks, each its own statement, so a
big backlog never holds the database for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import InboxUpdate, ProcessedEvent


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
