"""The Zalo OA token row: one refresher at a time, both tokens replaced together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.repositories import oa_tokens
from tests.storage.factories import T0, Sessions

APP = "3141592653589793"
LEASE = timedelta(minutes=2)


async def authorized(sessions: Sessions, expires_in: timedelta = timedelta(hours=25)) -> None:
    async with sessions() as session, session.begin():
        await oa_tokens.start_consent(session, APP, "verifier-1", T0)
        await oa_tokens.start_consent(session, APP, "verifier-2", T0)  # the latest counts
        row = await oa_tokens.get(session, APP)
        assert row is not None and row.code_verifier == "verifier-2" and row.refresh_token == ""
        assert await oa_tokens.store_tokens(
            session, APP, access_token="a1", refresh_token="r1", expires_at=T0 + expires_in, now=T0
        )


async def claim(sessions: Sessions, owner: str, *, at=T0, ahead=timedelta(minutes=10), **kw):  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        return await oa_tokens.claim_refresh(
            session, APP, owner, at, lease=LEASE, due_before=at + ahead, **kw
        )


async def test_nothing_to_refresh_before_the_consent_nor_before_it_is_due(
    session_factory: Sessions,
) -> None:
    assert await claim(session_factory, "p1") is None  # no row
    await authorized(session_factory)
    assert await claim(session_factory, "p1") is None  # 25 h left
    async with session_factory() as session:
        row = await oa_tokens.get(session, APP)
    assert row is not None and (row.version, row.code_verifier, row.access_token) == (1, None, "a1")
    # Zalo refused version 1's token: due now, whatever its expiry says.
    assert await claim(session_factory, "p1", stale_version=1) == (1, "r1")


async def test_one_claimer_at_a_time_until_the_lease_runs_out(session_factory: Sessions) -> None:
    await authorized(session_factory, expires_in=timedelta(minutes=5))
    claims = await asyncio.gather(*(claim(session_factory, f"p{n}") for n in range(4)))
    assert [c for c in claims if c is not None] == [(1, "r1")]
    assert await claim(session_factory, "late", at=T0 + LEASE - timedelta(seconds=1)) is None
    # The holder crashed: its lease runs out and another process may try.
    assert await claim(session_factory, "late", at=T0 + LEASE) == (1, "r1")


async def test_new_tokens_replace_both_at_once_only_over_the_version_claimed(
    session_factory: Sessions,
) -> None:
    await authorized(session_factory, expires_in=timedelta(minutes=5))
    version, _ = await claim(session_factory, "p1")
    async with session_factory() as session, session.begin():
        await oa_tokens.record_failure(
            session, APP, "p1", "refresh answer lost", T0, retry_at=T0 + timedelta(seconds=30)
        )
    # The failure holds the lease until the retry time, for everyone.
    assert await claim(session_factory, "p2", at=T0 + timedelta(seconds=29)) is None
    assert await claim(session_factory, "p2", at=T0 + timedelta(seconds=30)) == (1, "r1")
    async with session_factory() as session, session.begin():
        new = {"access_token": "a2", "refresh_token": "r2", "expires_at": T0 + timedelta(hours=1)}
        assert await oa_tokens.store_tokens(session, APP, now=T0, version=version, **new)
        # A second store over the same version (a late refresher) changes nothing.
        late = {**new, "access_token": "stale", "refresh_token": "stale"}
        assert not await oa_tokens.store_tokens(session, APP, now=T0, version=version, **late)
    async with session_factory() as session:
        row = await oa_tokens.get(session, APP)
    assert row is not None
    assert (row.access_token, row.refresh_token, row.version) == ("a2", "r2", 2)
    assert (row.error, row.lease_owner, row.lease_until) == (None, None, None)
