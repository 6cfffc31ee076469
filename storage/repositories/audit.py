"""Who did what to which record, kept for officers and for the privacy log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


@dataclass(frozen=True, slots=True)
class NewEntry:
    actor_user_id: int | None
    action: str
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def record(session: AsyncSession, entries: Sequence[NewEntry], now: datetime) -> None:
    """Write entries with one INSERT; details must never hold personal data."""
    if not entries:
        return
    await session.execute(
        insert(AuditEntry),
        [
            {
                "actor_user_id": e.actor_user_id,
                "action": e.action,
                "subject": e.subject,
                "details": e.details,
                "created_at": now,
            }
            for e in entries
        ],
    )


async def noted_since(session: AsyncSession, action: str, subject: str, since: datetime) -> bool:
    """Whether `action` was noted about `subject` at or after `since`."""
    found = await session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.action == action,
            AuditEntry.subject == subject,
            AuditEntry.created_at >= since,
        )
        .limit(1)
    )
    return found is not None
