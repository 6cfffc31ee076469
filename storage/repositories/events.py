"""Dedupe of inbound events by (channel, event id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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


def mark_processed(session: AsyncSession, channel: str, event_id: str, now: datetime) -> None:
    # A plain insert: if another process got there first, the unique key fails the flush and
    # the whole unit of work rolls back, which is exactly the dedupe we want.
    session.add(ProcessedEvent(channel=channel, event_id=event_id, processed_at=now))
