from __future__ import annotations

from storage.repositories import events
from tests.storage.factories import T0, Sessions


async def test_already_processed_answers_per_channel(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        await events.mark_processed(
            session, [("telegram", "1"), ("telegram", "2"), ("zalo", "3")], T0
        )

    async with session_factory() as session:
        seen = await events.already_processed(session, "telegram", ["1", "3", "4"])
        nothing = await events.already_processed(session, "telegram", [])

    assert seen == {"1"}
    assert nothing == set()
