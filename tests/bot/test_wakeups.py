"""Wake-ups between processes: on PostgreSQL an update stored anywhere wakes every listening
inbox processor at the storing commit (not at its next look). SQLite has none to give."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.wakeups import Listener, listens
from storage.repositories import inbox
from tests.storage.factories import T0, Sessions


async def test_an_update_stored_wakes_a_listening_process_at_its_commit(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    if not listens(engine.url):
        pytest.skip("PostgreSQL only: SQLite processes look for updates instead")
    woken, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(Listener(engine.url, {inbox.NEW_UPDATES: woken.set}).run(stop))
    try:
        await asyncio.wait_for(woken.wait(), 30)  # listening: one look for what came before
        woken.clear()
        async with session_factory() as session, session.begin():
            update = inbox.NewUpdate("telegram", "1", "1", 1, {"update_id": 1})
            assert await inbox.store(session, [update], T0)
            await asyncio.sleep(0.2)
            assert not woken.is_set()  # not before the commit
        await asyncio.wait_for(woken.wait(), 30)
        woken.clear()
        async with session_factory() as session, session.begin():
            assert not await inbox.store(session, [update], T0)  # a redelivery: nothing new
        await asyncio.sleep(0.2)
        assert not woken.is_set()
    finally:
        stop.set()
        await task
