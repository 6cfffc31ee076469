"""What happened to one submission, from the audit log: submissions, decisions, point
adjustments, reopenings, with who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Profile

# The entries that make a submission's history (others, such as views, are left out).
SHOWN = (
    "assessment.submitted",
    "review.approved",
    "review.returned",
    "review.rejected",
    "review.reopened",
    "review.adjusted",
)


@dataclass(frozen=True)
class Event:
    at: datetime
    action: str
    actor: str | None  # the staff member's name; None for the citizen or the system
    actor_id: int | None
    details: dict[str, Any]


async def history(session: AsyncSession, assessment_id: int) -> list[Event]:
    rows = await session.execute(
        select(
            AuditEntry.created_at,
            AuditEntry.action,
            Profile.full_name,
            AuditEntry.actor_user_id,
            AuditEntry.details,
        )
        .outerjoin(Profile, Profile.user_id == AuditEntry.actor_user_id)
        .where(AuditEntry.subject == str(assessment_id), AuditEntry.action.in_(SHOWN))
        .order_by(AuditEntry.id)
    )
    return [Event(*row) for row in rows]
