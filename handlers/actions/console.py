"""Signing in to the web console: a one-time link for a staff member, asked for in the chat
(`/web`) and opened in a browser. The link is the only credential: there are no passwords."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from content import Routing
from storage.repositories import audit, reviews, web_sessions

SIGNIN_LIFETIME = timedelta(minutes=10)


async def signin_link(
    session: AsyncSession, routing: Routing, user_id: int, now: datetime
) -> str | None:
    """A one-time sign-in token for a person with an active role, valid ten minutes; None
    for anyone else (the refusal is noted)."""
    if not await reviews.scopes(session, user_id, routing):
        await audit.record(session, [audit.NewEntry(user_id, "console.signin_refused")], now)
        return None
    token = await web_sessions.new_signin(session, user_id, now, SIGNIN_LIFETIME)
    await audit.record(session, [audit.NewEntry(user_id, "console.signin_link")], now)
    return token


async def sign_in(session: AsyncSession, routing: Routing, token: str, now: datetime) -> int | None:
    """Whose valid token this is, used up; None when it is unknown, used, expired, or its
    owner has no active role any more."""
    user_id = await web_sessions.redeem_signin(session, token, now)
    if user_id is None or not await reviews.scopes(session, user_id, routing):
        return None
    await audit.record(session, [audit.NewEntry(user_id, "console.signed_in")], now)
    return user_id
