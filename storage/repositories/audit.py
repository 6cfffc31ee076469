"""Who did what to which record, kept for officers and for the privacy log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    action: str,
    subject: str | None,
    details: dict[str, Any],
    now: datetime,
) -> AuditEntry:
    entry = AuditEntry(
        actor_user_id=actor_user_id,
        action=action,
        subject=subject,
        details=details,
        created_at=now,
    )
    session.add(entry)
    return entry
