"""Dedupe of inbound events by (channel, event id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent


async def already_processed(session: AsyncSession, channel: str, event_ids: list[str]) -> set[str]:
    """The subset of ``event_ids`` already processed on ``channel``."""
    if not event_ids:
        return set()
    rows = await session.scalars(
        select(ProcessedEvent.event_id).where(
            ProcessedEvent.channel == channel, ProcessedEvent.event_id.in_(event_ids)
        )
    )
    return set(rows)


async def mark_processed(
    session: AsyncSession, keys: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Record (channel, event id) pairs with one INSERT. If another process got there first,
    the unique key fails it and the whole unit of work rolls back: exactly the dedupe we want."""
    if not keys:
        return
    await session.execute(
        insert(ProcessedEvent),
        [{"channel": c, "event_id": e, "processed_at": now} for c, e in keys],
    )
