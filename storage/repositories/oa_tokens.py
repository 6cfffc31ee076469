"""A Zalo Official Account's OAuth tokens (one row per app).

Zalo's refresh token is single use: the answer to a refresh holds the only valid one. So one
process at a time may refresh (a lease taken by a conditional UPDATE, which both SQLite and
PostgreSQL apply atomically), and the new pair is stored in one statement, on the condition
that nobody stored another since the lease was taken (``version``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OAToken
from storage.upsert import dialect_insert


async def get(session: AsyncSession, app_id: str) -> OAToken | None:
    return await session.scalar(select(OAToken).where(OAToken.app_id == app_id))


async def start_consent(session: AsyncSession, app_id: str, verifier: str, now: datetime) -> None:
    """Keep the PKCE verifier of a consent URL just handed out (the latest one counts)."""
    stmt = dialect_insert(session)(OAToken).values(
        app_id=app_id,
        access_token="",
        refresh_token="",
        version=0,
        code_verifier=verifier,
        updated_at=now,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[OAToken.app_id],
            set_={"code_verifier": verifier, "updated_at": now},
        )
    )


async def claim_refresh(
    session: AsyncSession,
    app_id: str,
    owner: str,
    now: datetime,
    *,
    lease: timedelta,
    due_before: datetime,
    stale_version: int | None = None,
) -> tuple[int, str] | None:
    """Take the refresh lease when a refresh is due (the access token expires before
    ``due_before``, or ``stale_version`` is still the stored one: Zalo refused its token) and
    no other lease holds; the stored (version, refresh token), or None. Commit at once: the
    lease is what keeps other processes away during the refresh call."""
    due = or_(OAToken.expires_at.is_(None), OAToken.expires_at <= due_before)
    if stale_version is not None:
        due = or_(due, OAToken.version == stale_version)
    claimed = await session.execute(
        update(OAToken)
        .where(
            OAToken.app_id == app_id,
            OAToken.refresh_token != "",
            or_(OAToken.lease_until.is_(None), OAToken.lease_until <= now),
            due,
        )
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(OAToken.version, OAToken.refresh_token)
    )
    row = claimed.first()
    return (row.version, row.refresh_token) if row is not None else None


async def store_tokens(
    session: AsyncSession,
    app_id: str,
    *,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
    now: datetime,
    version: int | None = None,
) -> bool:
    """Replace both tokens at once, release the lease and clear any error; with
    ``version``, only if it is still the stored one. False when nothing was replaced."""
    condition = [OAToken.app_id == app_id]
    if version is not None:
        condition.append(OAToken.version == version)
    stored = await session.execute(
        update(OAToken)
        .where(*condition)
        .values(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=expires_at,
            version=OAToken.version + 1,
            lease_owner=None,
            lease_until=None,
            code_verifier=None,
            error=None,
            error_at=None,
            updated_at=now,
        )
    )
    return stored.rowcount == 1


async def record_failure(
    session: AsyncSession,
    app_id: str,
    owner: str,
    error: str,
    now: datetime,
    *,
    retry_at: datetime,
) -> None:
    """A refresh failed: keep why (for /healthz) and hold further attempts until
    ``retry_at`` (the lease, still ours, now serves as the pause)."""
    await session.execute(
        update(OAToken)
        .where(OAToken.app_id == app_id, OAToken.lease_owner == owner)
        .values(error=error, error_at=now, lease_until=retry_at, updated_at=now)
    )
