"""Link codes and where a person with several identities is written to, on every backend."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage.models import ChannelIdentity, LinkCode
from storage.repositories import chats, links, segments
from tests.storage.factories import T0, Sessions, create_person, create_user

KEY = b"test key"


async def issue(session_factory: Sessions, user_id: int, channel: str = "telegram") -> str:
    async with session_factory() as session, session.begin():
        return await links.issue(session, user_id=user_id, channel=channel, now=T0, key=KEY)


async def test_a_code_is_ten_digits_stored_only_as_a_keyed_hash_and_used_once(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    code = await issue(session_factory, user_id)
    assert len(code) == links.CODE_DIGITS and code.isdigit()
    async with session_factory() as session, session.begin():
        [row] = await session.scalars(select(LinkCode))
        assert code not in row.code_hash
        assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
        assert await links.find(session, code, T0, b"another key") is None
        found = await links.find(session, code, T0 + timedelta(minutes=9), KEY)
        assert found == links.Live(row.id, user_id, "telegram")
        assert await links.consume(session, found.id)
        assert not await links.consume(session, found.id)  # the second user of it gets nothing
        assert await links.find(session, code, T0, KEY) is None


async def test_a_code_expires_and_a_new_one_replaces_the_old(session_factory: Sessions) -> None:
    user_id = await create_user(session_factory)
    old = await issue(session_factory, user_id)
    async with session_factory() as session:
        assert await links.find(session, old, T0 + links.CODE_LIFETIME, KEY) is None
    new = await issue(session_factory, user_id)
    async with session_factory() as session:
        assert await links.find(session, new, T0, KEY) is not None
        if old != new:
            assert await links.find(session, old, T0, KEY) is None
        assert len(list(await session.scalars(select(LinkCode)))) == 1


async def test_wrong_codes_void_no_one_elses_and_refused_tries_void_only_that_code(
    session_factory: Sessions,
) -> None:
    codes = [await issue(session_factory, await create_user(session_factory)) for _ in range(2)]
    async with session_factory() as session, session.begin():
        wrong = [f"{n:010d}" for n in range(200) if f"{n:010d}" not in codes]
        for code in wrong:  # wrong codes, by anyone: nothing happens to the live ones
            assert await links.find(session, code, T0, KEY) is None
        first = await links.find(session, codes[0], T0, KEY)
        assert first is not None
        for _ in range(links.TRIES_PER_CODE):
            await links.refused(session, first.id)
        assert await links.find(session, codes[0], T0, KEY) is None
        assert await links.find(session, codes[1], T0, KEY) is not None


async def test_expired_codes_are_cleared_when_the_next_is_issued(
    session_factory: Sessions,
) -> None:
    await issue(session_factory, await create_user(session_factory))
    later = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        await links.issue(
            session, user_id=later, channel="zalo_bot", now=T0 + timedelta(hours=1), key=KEY
        )
    async with session_factory() as session:
        assert [c.user_id for c in await session.scalars(select(LinkCode))] == [later]


@pytest.mark.parametrize("unreachable_last", [False, True])
async def test_a_person_is_written_to_once_where_they_were_last_seen(
    session_factory: Sessions, unreachable_last: bool
) -> None:
    user_id = await create_person(session_factory)  # on Telegram, seen at T0
    async with session_factory() as session, session.begin():
        session.add(
            ChannelIdentity(
                user_id=user_id,
                channel="zalo_bot",
                external_user_id="z1",
                chat_id="z1",
                created_at=T0,
                last_seen_at=T0 - timedelta(days=1),  # before Telegram, though newer by id
                unreachable_at=None,
            )
        )
    async with session_factory() as session:
        assert (await chats.addresses(session, [user_id]))[user_id][0] == "telegram"
        assert (await segments.addresses(session, [user_id]))[user_id][0] == "telegram"
    async with session_factory() as session, session.begin():
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == "zalo_bot")
            .values(last_seen_at=T0 + timedelta(minutes=1))
        )
        if unreachable_last:  # blocked on Zalo: back to Telegram
            await session.execute(
                update(ChannelIdentity)
                .where(ChannelIdentity.channel == "zalo_bot")
                .values(unreachable_at=T0)
            )
    expected = ("telegram", True) if unreachable_last else ("zalo_bot", True)
    async with session_factory() as session:
        assert (await chats.addresses(session, [user_id]))[user_id][0] == expected[0]
        channel, _, reachable = (await segments.addresses(session, [user_id]))[user_id]
        assert (channel, reachable) == expected
