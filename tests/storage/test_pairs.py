"""Matching a pair of columns against a list of pairs, on every database backend: exactly
the listed pairs, across channels, and nothing for an empty list."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ChannelIdentity
from storage.pairs import pairs_in
from tests.storage.factories import T0, Sessions, create_user

IDENTITIES = [("telegram", "1"), ("telegram", "2"), ("zalo", "1"), ("zalo", "3")]


async def matching(session_factory: Sessions, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.external_user_id).where(
                pairs_in(ChannelIdentity.channel, ChannelIdentity.external_user_id, pairs)
            )
        )
        return {(channel, key) for channel, key in rows}


async def test_pairs_in_matches_only_the_listed_pairs(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        session.add_all(
            ChannelIdentity(
                user_id=user_id, channel=c, external_user_id=k, chat_id=k, created_at=T0
            )
            for c, k in IDENTITIES
        )
    # ("zalo", "2") pairs a channel with another channel's key: it must not match.
    wanted = [("telegram", "2"), ("zalo", "1"), ("zalo", "2"), ("telegram", "2")]
    assert await matching(session_factory, wanted) == {("telegram", "2"), ("zalo", "1")}
    assert await matching(session_factory, []) == set()
