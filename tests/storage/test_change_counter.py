"""The change counter that keeps the console's counts honest: moved, in the same
transaction, by every change to what they count, whatever code makes it; not by others."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import load_content
from storage.models import FIGURES, Assessment, AssessmentStatus, ChangeCounter, Profile
from storage.repositories.figures import Figures
from tests.web import seed

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def mark(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        found = await session.scalar(select(ChangeCounter.n).where(ChangeCounter.name == FIGURES))
        assert found is not None
        return found


async def test_changes_to_what_is_counted_move_the_counter_and_others_do_not(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        (a,) = await seed.citizens(session, load_content(), [seed.Citizen("Lê Văn Tám")], 2026, NOW)
    changes = [
        update(Assessment).where(Assessment.id == a).values(status=AssessmentStatus.APPROVED),
        update(Profile).values(commune_code=seed.OTHER),
        delete(Assessment).where(Assessment.id == a),
    ]
    for change in changes:
        before = await mark(session_factory)
        async with session_factory() as session, session.begin():
            await session.execute(change)
        assert await mark(session_factory) > before, change
    before = await mark(session_factory)
    async with session_factory() as session, session.begin():
        await session.execute(update(Profile).values(opted_out=True))  # counts nothing
    assert await mark(session_factory) == before


async def test_kept_figures_are_counted_again_after_a_change(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    figures, counted = Figures(), []

    async def count() -> int:
        counted.append(1)
        return len(counted)

    async with session_factory() as session:
        assert [await figures.get(session, "k", count) for _ in range(3)] == [1, 1, 1]
    async with session_factory() as session, session.begin():
        await seed.citizens(session, load_content(), [seed.Citizen("Lê Văn Tám")], 2026, NOW)
    async with session_factory() as session:
        assert await figures.get(session, "k", count) == 2
