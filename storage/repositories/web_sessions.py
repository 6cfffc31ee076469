"""The web console's one-time sign-in links and browser sessions. Tokens and session ids
are random and never stored: only their SHA-256, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, UTCDateTime, WebSession, WebSignin


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def new_signin(
    session: AsyncSession, user_id: int, now: datetime, lifetime: timedelta
) -> str:
    """A fresh sign-in token for `user_id`; the person's expired or used ones go."""
    await session.execute(
        delete(WebSignin).where(
            WebSignin.user_id == user_id,
            (WebSignin.expires_at <= now) | WebSignin.used_at.is_not(None),
        )
    )
    token = secrets.token_urlsafe(24)
    session.add(
        WebSignin(
            token_hash=digest(token), user_id=user_id, created_at=now, expires_at=now + lifetime
        )
    )
    return token


async def redeem_signin(session: AsyncSession, token: str, now: datetime) -> int | None:
    """Whose token this is, marking it used; None for an unknown, used or expired one. The
    conditional UPDATE makes two tabs opening one link at once safe: one wins."""
    claimed = await session.execute(
        update(WebSignin)
        .where(
            WebSignin.token_hash == digest(token),
            WebSignin.used_at.is_(None),
            WebSignin.expires_at > now,
        )
        .values(used_at=now)
        .returning(WebSignin.user_id)
    )
    return claimed.scalar_one_or_none()


async def start(session: AsyncSession, user_id: int, locale: str, now: datetime) -> str:
    """A new session for `user_id`; returns its id (the cookie's value)."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=digest(session_id),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            locale=locale,
            created_at=now,
            last_seen_at=now,
        )
    )
    return session_id


async def current(
    session: AsyncSession, session_id: str, now: datetime, idle: timedelta
) -> WebSession | None:
    """The live session with this id, or None (unknown, or idle longer than `idle`: then it
    is deleted)."""
    row = await session.get(WebSession, digest(session_id))
    if row is not None and row.last_seen_at <= now - idle:
        await session.delete(row)
        return None
    return row


def touch(row: WebSession, now: datetime) -> None:
    """Note activity; to the minute, which spares a write on most requests."""
    if now - row.last_seen_at >= timedelta(minutes=1):
        row.last_seen_at = now


async def end(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == digest(session_id)))


async def end_all(session: AsyncSession, user_id: int) -> int:
    """Sign the person out everywhere (their role was revoked)."""
    done = await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return done.rowcount


async def last_active(session: AsyncSession, user_ids: list[int]) -> dict[int, datetime]:
    """When each person was last seen, in a chat or in the console."""
    if not user_ids:
        return {}
    chats = select(ChannelIdentity.user_id, ChannelIdentity.last_seen_at.label("at")).where(
        ChannelIdentity.user_id.in_(user_ids)
    )
    browsers = select(WebSession.user_id, WebSession.last_seen_at.label("at")).where(
        WebSession.user_id.in_(user_ids)
    )
    seen = union_all(chats, browsers).subquery()
    latest = func.max(seen.c.at, type_=UTCDateTime)
    rows = await session.execute(select(seen.c.user_id, latest).group_by(seen.c.user_id))
    return {user_id: at for user_id, at in rows}
