"""Calling actions directly, as the console and the CLI do: in one transaction of their
own, a refusal returned (its audit row committed) rather than raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from handlers.actions import Actor, Refused, Work
from handlers.engine import Engine
from storage.models import Assessment, ChannelIdentity
from tests.handlers.conftest import Chat

T = TypeVar("T")


async def act(
    engine: Engine, action: Callable[..., Awaitable[T]], actor: Actor, *args: Any, **kw: Any
) -> T | Refused:
    async with engine.sessions() as session, session.begin():
        work = Work(session, engine.content, engine.catalogs, engine.clock())
        try:
            return await action(work, actor, *args, **kw)
        except Refused as refused:
            return refused


async def actor(chat: Chat, via: str = "web") -> Actor:
    """The person behind a chat, acting from another surface."""
    async with chat.engine.sessions() as session:
        user_id = await session.scalar(
            select(ChannelIdentity.user_id).where(ChannelIdentity.external_user_id == chat.user)
        )
    assert user_id is not None
    return Actor(user_id, via)


def refused(result: object, reason: str) -> bool:
    return isinstance(result, Refused) and result.reason == reason


async def state_of(engine: Engine, assessment_id: int) -> str | None:
    async with engine.sessions() as session:
        return await session.scalar(select(Assessment.status).where(Assessment.id == assessment_id))
