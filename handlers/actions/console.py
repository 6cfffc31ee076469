"""Signing in to the web console: a one-time link for a staff member, asked for in the chat
(`/web`) and opened in a browser. The link is the only credential: there are no passwords."""

from __future__ import annotations

from datetime import timedelta

from handlers.actions import rules
from handlers.actions.base import Actor, Reason, Refused, Work
from storage.repositories import web_sessions

SIGNIN_LIFETIME = timedelta(minutes=10)


async def signin_link(work: Work, actor: Actor) -> str:
    """A one-time sign-in token for a person with an active role, valid ten minutes;
    NOT_STAFF for anyone else (noted)."""
    if actor.user_id is None or not await rules.roles_of(work, actor):
        await work.record(actor, "console.signin_refused", None)
        raise Refused(Reason.NOT_STAFF)
    token = await web_sessions.new_signin(work.session, actor.user_id, work.now, SIGNIN_LIFETIME)
    await work.record(actor, "console.signin_link", None)
    return token


async def sign_in(work: Work, token: str) -> Actor:
    """Who signs in with this token, which is used up; NOT_FOUND when it is unknown, used or
    expired, NOT_STAFF when its owner has no active role any more."""
    user_id = await web_sessions.redeem_signin(work.session, token, work.now)
    if user_id is None:
        raise Refused(Reason.NOT_FOUND)
    actor = Actor(user_id, "web")
    if not await rules.roles_of(work, actor):
        raise Refused(Reason.NOT_STAFF)
    await work.record(actor, "console.signed_in", None)
    return actor


async def sign_out_everywhere(work: Work, actor: Actor) -> int:
    """End every console session of the actor (a phone left signed in at the commune
    office, a shared computer): how many ended. Noted."""
    if actor.user_id is None:
        raise Refused(Reason.NOT_STAFF)
    ended = await web_sessions.end_all(work.session, actor.user_id)
    await work.record(actor, "console.signed_out_everywhere", None, sessions=ended)
    return ended
