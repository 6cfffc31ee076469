"""The report's storage side on both backends: population figures, and the reader."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import create_reader
from storage.models import UnitPopulation
from storage.repositories import reports
from tests.storage.factories import T0, Sessions


async def test_a_units_figures_are_created_then_only_those_given_change(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        await reports.set_population(session, "20242", 2026, T0, adults=1200, staff=40)
        await reports.set_population(session, "20242", 2025, T0, adults=900, staff=None)
    async with session_factory() as session, session.begin():
        await reports.set_population(session, "20242", 2026, T0, staff=55)
    async with session_factory() as session:
        figures = await reports.populations(session, 2026)

    assert list(figures) == ["20242"]
    assert (figures["20242"].adults, figures["20242"].staff) == (1200, 55)


async def test_the_reader_sees_data_but_cannot_write(
    session_factory: Sessions, db_url: str
) -> None:
    async with session_factory() as session, session.begin():
        session.add(UnitPopulation(unit_code="20242", year=2026, adults=1, staff=2, updated_at=T0))
    reader = create_reader(db_url)
    try:
        async with reader.connect() as connection:
            count = text("SELECT count(*) FROM unit_populations")
            assert (await connection.execute(count)).scalar_one() == 1
            with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
                await connection.execute(text("DELETE FROM unit_populations"))
    finally:
        await reader.dispose()
