"""Who did what to which record, kept for officers and for the privacy log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Profile


@dataclass(frozen=True, slots=True)
class NewEntry:
    actor_user_id: int | None
    action: str
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    actor_name: str | None = None  # an actor who is not a user: "cli:<name>"


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
                "actor_name": e.actor_name,
                "created_at": now,
            }
            for e in entries
        ],
    )


@dataclass(frozen=True, slots=True)
class Shown:
    """An entry as `audit list` and the console show it, with the acting user's name if
    they have one."""

    id: int
    created_at: datetime
    actor_user_id: int | None
    actor: str  # a user's name (or "user N"), the command line's "cli:<name>", or "-"
    action: str
    subject: str | None
    details: dict[str, Any]


async def entries(
    session: AsyncSession,
    *,
    actor: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    actors: Collection[int] | None = None,
    before: int | None = None,
    limit: int = 200,
) -> list[Shown]:
    """The latest entries, newest first. `actor`: a user id, or a command-line operator's
    name (with or without its "cli:"); `actors`: only these users' entries (a scope);
    `action`: the action or its family ("review." is every review action); `until`: before
    this time; `before`: entries older than this id (the next page)."""
    query = (
        select(AuditEntry, Profile.full_name)
        .outerjoin(Profile, Profile.user_id == AuditEntry.actor_user_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if actors is not None:
        query = query.where(AuditEntry.actor_user_id.in_(sorted(actors)))
    if action:
        query = query.where(
            AuditEntry.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEntry.action == action
        )
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if actor is not None:
        query = query.where(
            AuditEntry.actor_user_id == int(actor)
            if actor.isdigit()
            else AuditEntry.actor_name == (actor if actor.startswith("cli:") else f"cli:{actor}")
        )
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    return [
        Shown(
            e.id,
            e.created_at,
            e.actor_user_id,
            name or e.actor_name or (f"user {e.actor_user_id}" if e.actor_user_id else "-"),
            e.action,
            e.subject,
            e.details,
        )
        for e, name in await session.execute(query)
    ]
