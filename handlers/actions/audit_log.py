"""The audit log as admins read it: who did what to which record, filtered and in pages.
A province admin (and the command line) reads every entry; a commune's admin the entries of
the people who hold or held a role in their commune. A person reading it is itself noted."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from handlers.actions.base import Actor, Work
from handlers.actions.staff import manager, manages
from storage.repositories import audit, staff

PAGE = 50


@dataclass(frozen=True, slots=True)
class Filters:
    who: str | None = None  # a user id, or a command-line operator's name
    action: str | None = None  # an action, or a family ending with "." ("review.")
    subject: str | None = None  # the record, as entries name it ("staff:3", "20242-1")
    since: datetime | None = None
    until: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[audit.Shown]
    older: int | None  # the `before` of the next page, None on the last


async def log(
    work: Work, actor: Actor, filters: Filters, *, before: int | None = None, limit: int = PAGE
) -> Page:
    """One page of entries, newest first. NOT_STAFF (Refused) for anyone but an admin."""
    roles = await manager(work, actor)
    actors = None
    if not any(r.province for r in roles):
        actors = {
            s.user_id
            for s in await staff.roles(work.session, include_revoked=True)
            if s.commune_code is not None and manages(roles, s.commune_code)
        }
    found = await audit.entries(
        work.session,
        actor=filters.who,
        subject=filters.subject,
        since=filters.since,
        until=filters.until,
        action=filters.action,
        actors=actors,
        before=before,
        limit=limit + 1,
    )
    if actor.user_id is not None:
        asked = {k: str(v) for k, v in asdict(filters).items() if v is not None}
        await work.record(actor, "audit.viewed", None, filters=asked)
    older = found[limit - 1].id if len(found) > limit else None
    return Page(found[:limit], older)
